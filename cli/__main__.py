"""`python -m crosswalk.cli ...` runs the command line, as the `crosswalk` script does."""

from crosswalk.cli.main import main

main()
