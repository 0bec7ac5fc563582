"""Every command's arguments as a pydantic model, derived from its handler's signature.

A handler's typed parameters *are* the declaration: ``def slew(self, ctx, ra:
RightAscension, dec: Declination)`` becomes a model with ``ra`` and ``dec``, so the
schema cannot drift from the code. The agent validates a command's arguments against it
in one place, before the handler runs, whoever sent the command (API, CLI, another agent,
a row written by hand); senders that can (the CLI, the System API) check the same model
first and refuse at once.

The model refuses what penetration tests used to kill agents with: arguments the handler
does not take (``extra="forbid"``), missing ones, wrong types, NaN and infinities even
given as text (``allow_inf_nan=False``), and text longer than ``MAX_TEXT`` unless a
parameter says otherwise. A bad set of arguments raises ``BadArguments`` whose message
names each faulty argument.

Plain pydantic; no Django.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

#: Longest text argument unless its parameter declares its own ``max_length``.
MAX_TEXT = 1000
#: A database row id (64-bit primary keys on every database).
MAX_ID = 2**63 - 1

#: Types handlers use for their arguments, bounded so that no value costs an agent more
#: than a refusal.
ShortText = Annotated[str, Field(max_length=200)]
#: Why something is asked, for the logs: an alert's event key alone may take 200.
Reason = Annotated[str, Field(max_length=MAX_TEXT)]
RecordId = Annotated[int, Field(ge=1, le=MAX_ID, description="a database id")]
NightDate = Annotated[date, Field(ge=date(1970, 1, 1), le=date(2199, 12, 31),
                                  description="a night, by its evening's date, 1970-2199")]

ARGUMENTS_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False, str_max_length=MAX_TEXT,
                              arbitrary_types_allowed=False)

#: Marks a method as a specific command (set by ``agents.agent.command``).
COMMAND_FLAG = "_pyros_command"
#: Generic commands are the methods so prefixed.
GENERIC_PREFIX = "generic_"
#: Longest input value quoted back in a refusal.
QUOTE_LENGTH = 40


class BadArguments(ValueError):
    """A command's arguments do not fit its schema; the message names each argument."""


class BadDeclaration(TypeError):
    """A handler whose signature cannot be turned into a schema (an untyped parameter,
    ``**kwargs``): a programming error, raised when the agent class is first used."""


@dataclass(frozen=True)
class CommandSpec:
    """One command of an agent: its name, kind, what it does and its arguments."""

    name: str
    generic: bool
    summary: str
    model: type[BaseModel]

    def validate(self, args: Any) -> dict[str, Any]:
        """The arguments as the handler takes them, or BadArguments."""
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise BadArguments(f"bad arguments for {self.name}: they must be a JSON object "
                               f"of name: value, not {type(args).__name__}")
        try:
            checked = self.model.model_validate(args)
        except ValidationError as exc:
            raise BadArguments(f"bad arguments for {self.name}: {describe(exc)}") from None
        return {field: getattr(checked, field) for field in type(checked).model_fields}

    def json_schema(self) -> dict[str, Any]:
        return self.model.model_json_schema()

    def arguments(self) -> list[dict[str, Any]]:
        """Each argument: name, JSON type with its bounds, required or its default."""
        schema = self.json_schema()
        required = set(schema.get("required", []))
        definitions = schema.get("$defs", {})
        return [{"name": name, "required": name in required,
                 "schema": _plain(prop, definitions)}
                for name, prop in schema.get("properties", {}).items()]


def describe(exc: ValidationError) -> str:
    """One clause per problem: ``argument: what is wrong (got value)``."""
    clauses = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "arguments"
        clause = f"{where}: {error['msg']}"
        if error["type"] not in ("missing", "extra_forbidden"):
            clause += f" (got {_quote(error.get('input'))})"
        clauses.append(clause)
    return "; ".join(clauses)


def _quote(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= QUOTE_LENGTH else text[:QUOTE_LENGTH - 3] + "..."


def _plain(prop: Any, definitions: dict[str, Any]) -> Any:
    """A property's schema with its references (enumerations) written out in place."""
    if isinstance(prop, list):
        return [_plain(item, definitions) for item in prop]
    if not isinstance(prop, dict):
        return prop
    if "$ref" in prop:
        target = definitions.get(prop["$ref"].rsplit("/", 1)[-1], {})
        prop = {**target, **{k: v for k, v in prop.items() if k != "$ref"}}
    return {key: _plain(value, definitions) for key, value in prop.items() if key != "title"}


def summary_line(argument: dict[str, Any]) -> str:
    """``name: type, bounds (required | default x)`` for listings."""
    schema = argument["schema"]
    text = f"{argument['name']}: {_type_text(schema)}" + (
        " (required)" if argument["required"] else f" (default {schema.get('default')!r})")
    return text + (f": {schema['description']}" if schema.get("description") else "")


_BOUNDS = (("minimum", ">= {}"), ("exclusiveMinimum", "> {}"), ("maximum", "<= {}"),
           ("exclusiveMaximum", "< {}"), ("minLength", "length >= {}"),
           ("maxLength", "length <= {}"), ("minItems", "items >= {}"),
           ("maxItems", "items <= {}"))


def _type_text(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " or ".join(_type_text(option) for option in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(str(value) for value in schema["enum"])
    text = schema.get("type", "any")
    if schema.get("format"):
        text = schema["format"]
    if "items" in schema:
        text = f"array of ({_type_text(schema['items'])})"
    bounds = [template.format(schema[key]) for key, template in _BOUNDS if key in schema]
    return text + (f" [{', '.join(bounds)}]" if bounds else "")


def spec_of(name: str, function: Callable, *, generic: bool) -> CommandSpec:
    """The spec of a handler ``function(self, ctx_or_cmd, **arguments)``."""
    try:
        hints = typing.get_type_hints(function, include_extras=True)
    except NameError as exc:  # a type imported only for type checkers
        raise BadDeclaration(f"command {name}: cannot resolve its types: {exc}") from exc
    fields: dict[str, Any] = {}
    for parameter in list(inspect.signature(function).parameters.values())[2:]:
        if parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
            raise BadDeclaration(f"command {name}: *{parameter.name} takes any argument; "
                                 "declare each one")
        if parameter.name not in hints:
            raise BadDeclaration(f"command {name}: argument {parameter.name} has no type")
        default = ... if parameter.default is parameter.empty else parameter.default
        fields[parameter.name] = (hints[parameter.name], default)
    model = create_model(f"{name}_arguments", __config__=ARGUMENTS_CONFIG, **fields)
    summary = (inspect.getdoc(function) or "").split("\n\n")[0].replace("\n", " ")
    return CommandSpec(name=name, generic=generic, summary=summary, model=model)


@cache
def command_specs(agent_class: type) -> dict[str, CommandSpec]:
    """Every command an agent class answers, generic and specific, by name."""
    specs: dict[str, CommandSpec] = {}
    for attribute in dir(agent_class):
        function = getattr(agent_class, attribute, None)
        if attribute.startswith(GENERIC_PREFIX) and callable(function):
            name = attribute.removeprefix(GENERIC_PREFIX)
            specs[name] = spec_of(name, function, generic=True)
        elif getattr(function, COMMAND_FLAG, False):
            specs[attribute] = spec_of(attribute, function, generic=False)
    return specs
