"""Runs a program under PyTorch with the real torchvision (0.28 from PyPI): that wheel's compiled ops are built for
CUDA and fail to load beside the CPU torch, and its _meta_registrations module then raises on import; the
transforms and datasets do not use those ops, so an empty stand-in for that module is installed first.

    python torchvision_pypi_twin.py program.py args...
"""
import os
import runpy
import sys
import types

sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
program = os.path.join(os.path.dirname(os.path.abspath(__file__)), sys.argv[1])  # named beside this file
sys.argv = [program] + sys.argv[2:]
sys.path.insert(0, os.path.dirname(program))
runpy.run_path(program, run_name="__main__")
