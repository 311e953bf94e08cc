import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a demo operator login (superuser 'operator') if no superuser exists, and print it."

    def handle(self, *args, **options):
        users = get_user_model().objects
        if users.filter(is_superuser=True).exists():
            self.stdout.write("Operator login exists; sign in at http://127.0.0.1:8000/admin/")
            return
        password = secrets.token_urlsafe(12)
        users.create_superuser("operator", "", password)
        self.stdout.write(f"Demo operator login: operator / {password}  (http://127.0.0.1:8000/admin/)")
