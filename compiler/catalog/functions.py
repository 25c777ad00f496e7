"""The expression functions of attribute mappings: names and argument counts, listed once.

Sources (Microsoft's documentation, read for this list):
- App provisioning: MicrosoftDocs/entra-docs,
  docs/identity/app-provisioning/functions-for-customizing-application-data.md
  ("Reference for writing expressions for attribute mappings in Microsoft Entra ID").
- Cloud Sync: MicrosoftDocs/entra-docs, docs/identity/hybrid/cloud-sync/reference-expressions.md
  (adds ConvertFromBase64, DNComponent, Error, StringFromSid, Trim; its examples also call
  Contains and CRef, which it does not list: they are here so that its own examples parse).
- Graph's `GET .../schema/functions` example answer (microsoftgraph/microsoft-graph-docs-contrib,
  api-reference/v1.0/api/synchronization-synchronizationschema-functions.md) names DefaultDomain
  and AppRoleAssignments besides.

A parameter name is the key under which Graph's parsed source tree carries the argument
(`parameters[{key, value}]`). Graph's published parseExpression answer uses `source`, `Find` and
`Replacement` for Replace's first, second and fifth arguments, so those are Replace's names here;
its objectMapping example (api-reference/v1.0/resources/synchronization-objectmapping.md) shows
`source` for Not and SingleAppRoleAssignment and `source`, `start`, `length` for Mid. Every other
name is the documentation's.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Function:
    name: str
    parameters: tuple[str, ...]  # in order; the last `repeat` of them may repeat
    required: int  # the fewest arguments (positions) a call may have
    repeat: int = 0  # how many trailing parameters repeat without bound (0: none)
    pairs: bool = False  # the argument count must be even (Switch's key/value pairs)

    @property
    def most(self) -> int | None:
        """The most arguments a call may have, or None when there is no bound."""
        return None if self.repeat else len(self.parameters)

    def key(self, position: int) -> str:
        """The parameter name of the argument at 0-based `position`."""
        if position < len(self.parameters) or not self.repeat:
            return self.parameters[min(position, len(self.parameters) - 1)]
        tail = self.parameters[-self.repeat :]
        return tail[(position - len(self.parameters)) % self.repeat]

    def arity(self) -> str:
        """The accepted argument counts in words: '2 arguments', '1 to 7 arguments',
        'at least 4 arguments, an even number'."""
        if self.most is None:
            text = f"at least {self.required}"
        elif self.most == self.required:
            text = str(self.required)
        else:
            text = f"{self.required} to {self.most}"
        text += " argument" if text == "1" else " arguments"
        return text + (", an even number" if self.pairs else "")

    def accepts(self, count: int) -> bool:
        if count < self.required or (self.most is not None and count > self.most):
            return False
        return not (self.pairs and count % 2)


def _f(name: str, parameters: str = "", required: int | None = None, repeat: int = 0, pairs: bool = False) -> Function:
    names = tuple(parameters.split())
    return Function(name, names, len(names) if required is None else required, repeat, pairs)


FUNCTIONS: dict[str, Function] = {
    function.name: function
    for function in (
        # app provisioning (functions-for-customizing-application-data.md)
        _f("Append", "source suffix"),
        _f("AppRoleAssignmentsComplex", "appRoleAssignments"),
        _f("BitAnd", "value1 value2"),
        _f("CBool", "Expression"),
        _f("CDate", "expression"),
        _f("Coalesce", "source", repeat=1),  # source1 ... sourceN, then an optional defaultValue
        _f("ConvertToBase64", "source"),
        _f("ConvertToUTF8Hex", "source"),
        _f("Count", "attribute"),
        _f("CStr", "value"),
        _f("DateAdd", "interval value dateTime"),
        _f("DateDiff", "interval date1 date2"),
        _f("DateFromNum", "value"),
        # dateTimeStyles is optional (app provisioning); Cloud Sync documents the 3-argument form
        _f("FormatDateTime", "source dateTimeStyles inputFormat outputFormat", required=3),
        _f("Guid"),
        _f("IgnoreFlowIfNullOrEmpty", "expression"),
        _f("IIF", "condition valueIfTrue valueIfFalse"),
        _f("InStr", "value1 value2 start compareType", required=2),
        _f("IsNull", "Expression"),
        _f("IsNullOrEmpty", "Expression"),
        _f("IsPresent", "Expression"),
        _f("IsString", "Expression"),
        _f("Item", "attribute index"),
        _f("Join", "separator source", repeat=1),
        _f("Left", "String NumChars"),
        # length is required in both references, yet Cloud Sync's own Item example calls Mid(..., 6)
        _f("Mid", "source start length", required=2),
        _f("NormalizeDiacritics", "source"),
        _f("Not", "source"),
        _f("Now"),
        _f("NumFromDate", "value"),
        _f("PCase", "source wordSeparators", required=1),
        _f(
            "RandomString",
            "Length MinimumNumbers MinimumSpecialCharacters MinimumCapital MinimumLowerCase CharactersToAvoid",
            required=5,
        ),
        _f("Redact", "value"),
        _f("RemoveDuplicates", "attribute"),
        _f(
            "Replace",
            "source Find regexPattern regexGroupName Replacement replacementAttributeName template",
            required=1,
        ),
        _f("SelectUniqueValue", "uniqueValueRule uniqueValueRule", repeat=1),
        _f("SingleAppRoleAssignment", "source"),  # Graph's key in the Salesforce objectMapping example
        _f("Split", "source delimiter"),
        _f("StripSpaces", "source"),
        _f("Switch", "source defaultValue key value", repeat=2, pairs=True),
        _f("ToLower", "source culture", required=1),
        _f("ToUpper", "source culture", required=1),
        _f("Word", "String WordNumber delimiters"),
        # Cloud Sync (reference-expressions.md)
        _f("ConvertFromBase64", "source Encoding", required=1),
        _f("DNComponent", "dn ComponentNumber"),
        _f("Error", "ErrorMessage"),
        _f("StringFromSid", "ObjectSID"),
        _f("Trim", "source"),  # Graph's key in Cloud Sync's transformation example
        _f("Contains", "attribute search compare", required=2),  # in Cloud Sync's Item example
        _f("CRef", "value"),  # in Cloud Sync's DNComponent example
        # Graph's functions answer
        _f("DefaultDomain"),
        _f("AppRoleAssignments", "source"),
    )
}

# Microsoft's pages spell some names differently (`Cstr`, `GUID`, `StringFromSID`, `switch`) and
# Graph accepts them: a name is looked up without case.
_BY_FOLDED = {name.lower(): function for name, function in FUNCTIONS.items()}


def function(name: str) -> Function | None:
    """The catalog's function called `name` (any case), or None."""
    return _BY_FOLDED.get(name.lower())
