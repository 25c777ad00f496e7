"""One module per command: a plain function of explicit arguments that returns an exit code.

The typer layer (`cli.py`) only turns options into those arguments.
"""
