"""``python -m static_embed`` runs the command line."""

from .cli import main

raise SystemExit(main())
