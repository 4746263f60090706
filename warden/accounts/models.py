from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """Our own user model from the first migration, so later fields need no swap."""

    class Meta:
        db_table = "accounts_user"
