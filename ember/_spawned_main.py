"""The main module of a process that a program run by `ember run` starts with multiprocessing's spawn method.

Such a process imports its parent's main module again (as `__mp_main__`) to find the functions it is to run, and
that module begins with `import torch`: without ember's names installed first, it would get PyTorch. `ember run`
gives its program this module's name as the main module's (`__spec__`), so the child imports this instead: it
installs torch's names, then runs the program's file (which `ember run` left in the environment: runpy has put this
file in sys.argv[0] meanwhile) as `__mp_main__`, whose `if __name__ == "__main__":` part does not run, and keeps its
functions and classes.
"""
import os
import runpy

from ember.cli import PROGRAM, install_torch_names

install_torch_names()
if __name__ == "__mp_main__" and os.environ.get(PROGRAM):
    globals().update(runpy.run_path(os.environ[PROGRAM], run_name="__mp_main__"))
