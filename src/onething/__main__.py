"""``python -m onething`` runs the command line."""

from onething.cli import main

main()
