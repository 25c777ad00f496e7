"""The digest of a file's bytes: how the record of the last compile knows a file is unchanged.

On the lowest floor that needs it (profiles are hashed as they are loaded), and tiny, because a
run that the record serves whole imports it on start-up.
"""

try:  # CPython's own BLAKE2: importing hashlib loads OpenSSL first, 3 ms of every start
    from _blake2 import blake2b
except ImportError:  # another Python: the public way
    from hashlib import blake2b


def digest(data: bytes) -> str:
    return blake2b(data, digest_size=20).hexdigest()
