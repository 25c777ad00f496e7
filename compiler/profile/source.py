"""Reading one TOML file from disk, with every way that can go wrong turned into a Problem.

A `Document` keeps the parsed data and the text, so that a problem found later (by the layer
reader, the mapper or the template check) can be placed at its line and column.
"""

from __future__ import annotations

import errno
import os
import re
import stat

from ..problems import Problem, UserError, dotted

# Profiles are hand-written settings: anything larger is a mistake (a log, a dump, a binary),
# and reading it whole would only slow the run down. References to files share the limit.
MAX_FILE_BYTES = 1024 * 1024

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


class Document:
    """One parsed TOML file. `name` is the path as shown to the user."""

    __slots__ = ("_positions", "data", "name", "path", "text")

    def __init__(self, path: str, name: str, data: dict, text: str):
        self.path = path  # as opened (absolute or relative to the working directory)
        self.name = name
        self.data = data
        self.text = text
        self._positions: dict | None = None  # found on the first problem, not before

    def position(self, keypath: tuple[str, ...]) -> tuple[int, int] | None:
        from .locate import key_positions, position_of  # only when a problem is reported

        if self._positions is None:
            self._positions = key_positions(self.text)
        return position_of(self._positions, keypath)

    def problem(self, keypath: tuple[str, ...], message: str, warning: bool = False) -> Problem:
        line, col = self.position(keypath) or (None, None)
        return Problem(self.name, message, dotted(keypath) or None, line, col, warning)


def read_text(path: str, name: str, what: str = "profile") -> str:
    """The file's text, or UserError saying what is wrong with it (never its content)."""
    data = read_bytes(path, name, what)
    if b"\0" in data:
        raise UserError.single(name, f"is a binary file, not a {what}: a {what} is UTF-8 text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, col = _line_col(data, error.start)
        raise UserError(
            [Problem(name, f"is not UTF-8 text (byte {error.start}): save the file as UTF-8", None, line, col)]
        ) from None


def _line_col(text: str | bytes, offset: int) -> tuple[int, int]:
    newline = "\n" if isinstance(text, str) else b"\n"
    return text.count(newline, 0, offset) + 1, offset - text.rfind(newline, 0, offset)


def read_bytes(path: str, name: str, what: str) -> bytes:
    too_large = f"a {what} may be at most {MAX_FILE_BYTES} bytes (1 MiB)"
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            info = os.fstat(descriptor)
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError
            if not stat.S_ISREG(info.st_mode):
                # A pipe, a device or /dev/stdin: fstat gives no size, and what it yields is not
                # the file in the repository that a reviewer read.
                raise UserError.single(name, f"is not a regular file (a pipe, device or socket): a {what} is a file")
            if info.st_size > MAX_FILE_BYTES:
                raise UserError.single(name, f"is {info.st_size} bytes; {too_large}")
            data = read_all(descriptor, info.st_size)
            if len(data) > MAX_FILE_BYTES:  # it grew while it was read
                raise UserError.single(name, f"is over {MAX_FILE_BYTES} bytes; {too_large}")
            return data
        finally:
            os.close(descriptor)
    except IsADirectoryError:
        raise UserError.single(name, f"is a folder, not a {what}: rename or remove it") from None
    except FileNotFoundError:
        raise UserError.single(name, "no such file") from None
    except PermissionError:
        raise UserError.single(name, "cannot be read (permission denied): check the file's permissions") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UserError.single(
                name, "is a symbolic link that loops back on itself: fix or remove the link"
            ) from None
        raise UserError.single(name, f"cannot be read ({error.strerror})") from None


def read_all(descriptor: int, size: int) -> bytes:
    """The file's bytes up to the end of the file, or the first MAX_FILE_BYTES + 1 of them (the
    caller refuses more); `size` is what fstat said, but a file may grow while it is read."""
    data = os.read(descriptor, size + 1)
    while len(data) <= MAX_FILE_BYTES:
        more = os.read(descriptor, MAX_FILE_BYTES + 1 - len(data))
        if not more:
            break
        data += more
    return data


def read_document(path: str, name: str) -> Document:
    """Reads and parses a TOML file; raises UserError with a positioned Problem if it can't."""
    import tomllib  # here, not at the top: `--help` and the remote commands parse nothing here

    text = read_text(path, name)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UserError([_syntax_problem(name, str(error))]) from None
    except RecursionError:
        raise UserError.single(name, "is nested too deeply to read: flatten its tables and arrays") from None
    except ValueError:  # not a TOMLDecodeError: int() refuses an integer over 4,300 digits
        raise UserError([_long_integer_problem(name, text)]) from None
    return Document(path, name, data, text)


def _long_integer_problem(name: str, text: str) -> Problem:
    found = re.search(r"[0-9_]{4301,}", text)
    line, col = _line_col(text, found.start()) if found else (None, None)
    return Problem(name, "invalid TOML: an integer has more than 4300 digits: shorten it", None, line, col)


def _syntax_problem(name: str, message: str) -> Problem:
    # tomllib in Python 3.11 puts the position only in the message: "... (at line 3, column 5)".
    found = _TOML_POSITION.search(message)
    line = col = None
    if found:
        line, col = int(found.group(1)), int(found.group(2))
        message = message[: found.start()]
    message = message.replace(" (at end of document)", "")
    return Problem(name, f"invalid TOML: {message}; fix the syntax at this position", None, line, col)
