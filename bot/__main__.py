"""``python -m bot`` behaves exactly like the ``facenudge`` console script."""

from bot.cli import run_cli

run_cli()
