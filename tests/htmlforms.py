"""Read the forms of a rendered page the way a browser would (test helper, stdlib only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Field:
    name: str
    tag: str  # input, select or textarea
    type: str  # the input's type ("select" / "textarea" for those tags)
    value: str = ""
    checked: bool = False
    options: list[str] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    required: bool = False


@dataclass
class Form:
    action: str
    method: str
    fields: list[Field] = field(default_factory=list)

    def data(self, **values: str) -> dict[str, str | list[str]]:
        """What the browser sends unchanged (hidden, prefilled and selected values), then ``values``."""
        out: dict[str, str | list[str]] = {}
        for f in self.fields:
            if f.type in ("submit", "button", "reset", "file"):
                continue
            if f.type in ("checkbox", "radio"):
                if f.checked:
                    out[f.name] = f.value or "on"
            elif f.tag == "select":
                chosen = f.selected or f.options[:1]
                if chosen:
                    out[f.name] = chosen[0]
            else:
                out[f.name] = f.value
        out.update(values)
        return out

    def names(self) -> set[str]:
        return {f.name for f in self.fields}


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: str | None = None
        self._option_selected = False
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            self._form.fields.append(
                Field(
                    name,
                    "input",
                    a.get("type", "text").lower(),
                    a.get("value", ""),
                    "checked" in a,
                    required="required" in a,
                )
            )
        elif tag == "select" and name:
            self._select = Field(name, "select", "select", required="required" in a)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = a.get("value")
            self._option_selected = "selected" in a
            if self._option is not None:
                self._add_option(self._option)
        elif tag == "textarea" and name:
            self._textarea = Field(name, "textarea", "textarea", required="required" in a)
            self._form.fields.append(self._textarea)
        elif tag == "button" and name:
            self._form.fields.append(
                Field(name, "button", a.get("type", "submit").lower(), a.get("value", ""))
            )

    def _add_option(self, value: str) -> None:
        assert self._select is not None
        self._select.options.append(value)
        if self._option_selected:
            self._select.selected.append(value)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None:
                self._textarea.value = self._textarea.value.removeprefix("\n")
            self._textarea = None
        elif tag == "option":
            self._option = None


def forms_of(html: str) -> list[Form]:
    """Every form of the page, in page order."""
    parser = _Parser()
    parser.feed(html)
    return parser.forms


def post_forms_of(html: str) -> list[Form]:
    return [f for f in forms_of(html) if f.method == "post"]
