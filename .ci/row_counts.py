"""Print every table's row count of the database the environment points at, as sorted JSON (CI's drill)."""

import json

from stromal.cli._django import setup_django

setup_django()

from django.db import connection  # noqa: E402

from stromal.recovery import table_row_counts  # noqa: E402

print(json.dumps(table_row_counts(connection), indent=1, sort_keys=True))
