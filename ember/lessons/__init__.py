"""The course notes brought to life: one module per lesson, and the report they build.

Each lesson module has ID, TITLE and build(page) -> dict of its key numbers.
Lessons use only ember's public API, as a learner would.
"""
import matplotlib

matplotlib.use("Agg")  # figures go to files; no display needed

from . import (autograd, computational_graph, digits, gradient_descent, learning_rate, linear_model,  # noqa: E402
               mini_batch, neural_network, saddle_point, stochastic_gradient_descent, supervised_learning, tensors)
from .page import Page, write_report  # noqa: E402

LESSONS = [supervised_learning, linear_model, gradient_descent, learning_rate, stochastic_gradient_descent,
           mini_batch, saddle_point, autograd, computational_graph, tensors, neural_network, digits]
BY_ID = {lesson.ID: lesson for lesson in LESSONS}


def run(lesson_id, out_dir, progress=False):
    """Build one lesson's page (writing its figures to out_dir/figures); returns (page, results).

    progress=True shows a bar on stderr while a long lesson trains (the tour has its own bar)."""
    lesson = BY_ID[lesson_id]
    page = Page(lesson.ID, lesson.TITLE, out_dir, progress)
    # (the lessons' products are small, so ember's own rule keeps them on one BLAS thread: see ember/_threads.py.
    # A threadpoolctl limit around the lesson would put the threads back at its end behind ember's back.)
    results = lesson.build(page)
    return page, results


__all__ = ["LESSONS", "BY_ID", "run", "Page", "write_report"]
