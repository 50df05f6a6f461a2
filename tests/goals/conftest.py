import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Factories give every user a password; hashing it properly would dominate these tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
