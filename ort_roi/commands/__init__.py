"""The ``ort-roi`` subcommands, one module each.

ort_roi/cli.py imports a command's module only when that command runs, so
those that need torch (export, check, demo) import it at their top while
``ort-roi info`` and ``import ort_roi`` never do.
"""
