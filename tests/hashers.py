"""Argon2 at its smallest cost, for the test suite only.

Production hashes with Django's Argon2 defaults (100 MiB, 8 lanes, 2 passes): about 0.3-0.4 s of
CPU per hash on CI's 2 cores, paid by every user a test creates and every password it checks.
The hashes made here are still Argon2 ("argon2$argon2id$v=19$m=8,t=1,p=1$..."): the same library
hashes and verifies them, a process on the production settings verifies them too (Argon2 reads
its cost from the hash), and the suite's password rules, throttles and reauthentication are
tested against real hashes, only cheaper ones.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 8  # KiB: argon2's minimum for one lane
    parallelism = 1
