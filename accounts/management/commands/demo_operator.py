import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create a demo operator login (superuser 'operator') if no superuser exists, and print it with the "
        "console's address on --host and --port (as the server was started)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="The host the server listens on (127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="The port the server listens on (8000).")

    def handle(self, *args, host: str, port: int, **options):
        url = f"http://{host}:{port}/admin/"
        users = get_user_model().objects
        if users.filter(is_superuser=True).exists():
            self.stdout.write(f"Operator login exists; sign in at {url}")
            return
        password = secrets.token_urlsafe(12)
        users.create_superuser("operator", "", password)
        self.stdout.write(f"Demo operator login: operator / {password}  ({url})")
