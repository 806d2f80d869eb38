"""Issue 10: recompute the merchant figures' rollups (claims.rollups) from the raw rows.

For data written before the rollups existed, or to repair them; `--check` only compares.
The writes keep the rollups in step themselves: this is not a periodic job.
"""

from django.core.management.base import BaseCommand, CommandError

from claims import rollups


class Command(BaseCommand):
    help = "Recompute the per-shop, per-day rollups of the merchant figures from the raw rows."

    def add_arguments(self, parser):
        parser.add_argument("--shop", type=int, action="append", help="shop id (repeatable)")
        parser.add_argument(
            "--check", action="store_true", help="only compare them with a recount; exit 1 if off"
        )

    def handle(self, *args, shop, check, **options):
        if check:
            held, counted = rollups.current(shop), rollups.recount(shop)
            off = {
                table: len(set(held[table].items()) ^ set(counted[table].items()))
                for table in held
                if held[table] != counted[table]
            }
            if off:
                raise CommandError(f"rollups differ from a recount (rows per table): {off}")
            self.stdout.write(self.style.SUCCESS("rollups in step with the raw rows"))
            return
        written = rollups.rebuild(shop)
        rows = ", ".join(f"{table} {n}" for table, n in written.items())
        self.stdout.write(self.style.SUCCESS(f"rollups rebuilt from the raw rows: {rows}"))
