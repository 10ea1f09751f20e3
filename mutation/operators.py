"""Which mutants a module has: every place an operator, a comparison, a constant, a regular
expression, a collection element, a return value or a statement could be changed.

A mutant's id is ``<scope>:<operator>#<n>``: the qualified name of the function or class that
holds it (``<module>`` at module level), the operator, and its ordinal among that operator's
mutants in that scope. Ids stay stable when code elsewhere in the module changes, so the list
of equivalent mutants (``mutation/equivalent.toml``) keeps naming the same mutants.

Left alone on purpose: docstrings, annotations, decorators, ``if TYPE_CHECKING`` blocks, the
parts of f-strings and the arguments of log calls (text for people, not behaviour).
"""

from __future__ import annotations

import ast
import copy
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

_BINOP_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
    ast.BitOr: ast.BitAnd,
    ast.BitAnd: ast.BitOr,
    ast.BitXor: ast.BitOr,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
}
_COMPARE_FLIPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_REGEX_FUNCTIONS = frozenset(
    {"compile", "match", "fullmatch", "search", "sub", "subn", "split", "findall", "finditer"}
)
_LOG_METHODS = frozenset({"debug", "info", "warning", "error", "exception", "critical", "log"})
_SKIPPED_ASSIGNMENTS = frozenset({"__all__", "__slots__"})


@dataclass(frozen=True)
class Mutant:
    """One changed copy of a module: ``source`` is the whole mutated module."""

    id: str
    line: int
    description: str
    source: str


def mutants_of(source: str) -> list[Mutant]:
    """Every mutant of ``source``, in the order of the source."""
    tree = ast.parse(source)
    counter = _Mutator(target=None)
    counter.visit(copy.deepcopy(tree))
    found: list[Mutant] = []
    for index, (mutant_id, line, description) in enumerate(counter.points):
        mutated = _Mutator(target=index).visit(copy.deepcopy(tree))
        ast.fix_missing_locations(mutated)
        found.append(Mutant(mutant_id, line, description, ast.unparse(mutated)))
    return found


def _short(node: ast.AST) -> str:
    text = ast.unparse(node).replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "..."


def _is_docstring(statement: ast.stmt, body: list[ast.stmt]) -> bool:
    return (
        statement is body[0]
        and isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _is_log_call(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    owner = node.func.value
    owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
    return node.func.attr in _LOG_METHODS and "log" in owner_name.lower()


def _is_regex_call(node: ast.Call) -> bool:
    func = node.func
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "re"
        and func.attr in _REGEX_FUNCTIONS
    )


def _regex_variants(pattern: str) -> Iterator[tuple[str, str]]:
    """Changes a regular expression could suffer: an anchor lost, a quantifier widened or
    narrowed, an optional part made required, a character class losing its first member."""
    if pattern.startswith("^"):
        yield pattern[1:], "drop the leading ^"
    for anchor in ("$", r"\Z"):
        if pattern.endswith(anchor) and not pattern.endswith("\\" + anchor):
            yield pattern[: -len(anchor)], f"drop the trailing {anchor}"
    for index, char in enumerate(pattern):
        escaped = index > 0 and pattern[index - 1] == "\\"
        if escaped:
            continue
        if char == "+":
            yield pattern[:index] + "*" + pattern[index + 1 :], f"'+' at {index} -> '*'"
        elif char == "*":
            yield pattern[:index] + "+" + pattern[index + 1 :], f"'*' at {index} -> '+'"
        elif char == "?" and index > 0 and pattern[index - 1] not in "(*+?}":
            yield pattern[:index] + pattern[index + 1 :], f"'?' at {index} removed"
        elif char == "{":
            end = pattern.find("}", index)
            body = pattern[index + 1 : end]
            low, _, high = body.partition(",")
            if end > index and low.isdigit() and (not high or high.isdigit()):
                wider = f"{{{low},{int(high or low) + 1}}}"
                yield pattern[:index] + wider + pattern[end + 1 :], f"{{{body}}} -> {wider}"
                if int(low) > 0:
                    looser = f"{{{int(low) - 1},{high or low}}}"
                    yield pattern[:index] + looser + pattern[end + 1 :], f"{{{body}}} -> {looser}"
        elif char == "[":
            member = index + 1 + (pattern[index + 1 : index + 2] == "^")
            if member < len(pattern) and pattern[member] not in "]\\":
                yield (
                    pattern[:member] + pattern[member + 1 :],
                    f"class at {index} loses {pattern[member]!r}",
                )


_ConstantValue = str | bytes | bool | int | float


def _constant_variants(value: object) -> Iterator[tuple[_ConstantValue, str]]:
    if isinstance(value, bool):
        yield (not value), f"{value} -> {not value}"
    elif isinstance(value, int):
        yield value + 1, f"{value} -> {value + 1}"
        if value not in (0, 1):
            yield value - 1, f"{value} -> {value - 1}"
    elif isinstance(value, float):
        yield value + 1.0, f"{value} -> {value + 1.0}"
    elif isinstance(value, str):
        changed = f"XX{value}XX"
        yield changed, f"{value!r} -> {changed!r}"
    elif isinstance(value, bytes):
        yield b"XX" + value + b"XX", f"{value!r} -> {b'XX' + value + b'XX'!r}"


class _Mutator(ast.NodeTransformer):
    """Counts mutation points (``target`` None) or applies the ``target``-th one.

    The traversal order is the same in both modes, so the n-th point counted is the n-th
    applied."""

    def __init__(self, target: int | None) -> None:
        self.target = target
        self.points: list[tuple[str, int, str]] = []
        self._scope: list[str] = []
        self._ordinals: Counter[tuple[str, str]] = Counter()

    # -- bookkeeping -------------------------------------------------------------------------

    def _point(self, node: ast.AST, operator: str, description: str) -> bool:
        """Records a point; True when it is the one to apply."""
        scope = ".".join(self._scope) or "<module>"
        ordinal = self._ordinals[(scope, operator)]
        self._ordinals[(scope, operator)] += 1
        index = len(self.points)
        line = getattr(node, "lineno", 0)
        self.points.append((f"{scope}:{operator}#{ordinal}", line, f"line {line}: {description}"))
        return index == self.target

    def _visit_body(self, body: list[ast.stmt]) -> list[ast.stmt]:
        new_body: list[ast.stmt] = []
        for statement in body:
            if _is_docstring(statement, body):
                new_body.append(statement)
                continue
            result = self.visit(statement)
            if result is None:
                continue
            new_body.extend(result if isinstance(result, list) else [result])
        return new_body or [ast.Pass()]

    def _scoped(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> ast.AST:
        self._scope.append(node.name)
        try:
            # Decorators, annotations and (for classes) bases are left as they are.
            if not isinstance(node, ast.ClassDef):
                node.args = self._visit_defaults(node.args)
            node.body = self._visit_body(node.body)
        finally:
            self._scope.pop()
        return node

    def _visit_defaults(self, args: ast.arguments) -> ast.arguments:
        args.defaults = [self.visit(default) for default in args.defaults]
        args.kw_defaults = [
            None if default is None else self.visit(default) for default in args.kw_defaults
        ]
        return args

    # -- scopes and statements ---------------------------------------------------------------

    def visit_Module(self, node: ast.Module) -> ast.AST:
        node.body = self._visit_body(node.body)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        return self._scoped(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        return self._scoped(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        return self._scoped(node)

    def visit_Import(self, node: ast.Import) -> ast.AST:
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        return node

    def visit_If(self, node: ast.If) -> ast.AST:
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return node
        if not isinstance(node.test, ast.Compare | ast.BoolOp | ast.UnaryOp) and self._point(
            node, "condition", f"if {_short(node.test)} -> if not ({_short(node.test)})"
        ):
            node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)
            return node
        node.test = self.visit(node.test)
        node.body = self._visit_body(node.body)
        node.orelse = self._visit_body(node.orelse) if node.orelse else []
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is not None:
            node.value = self.visit(node.value)
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        names = {target.id for target in node.targets if isinstance(target, ast.Name)}
        if names & _SKIPPED_ASSIGNMENTS:
            return node
        node.value = self.visit(node.value)
        return node

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        if _is_log_call(node.value):
            return node
        if isinstance(node.value, ast.Constant):
            return node  # a bare string or ``...``
        if self._point(node, "statement", f"removed {_short(node)}"):
            return ast.Pass()
        node.value = self.visit(node.value)
        return node

    def visit_Raise(self, node: ast.Raise) -> ast.AST:
        if self._point(node, "statement", f"removed {_short(node)}"):
            return ast.Pass()
        return self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        if self._point(node, "statement", f"removed {_short(node)}"):
            return ast.Pass()
        return self.generic_visit(node)

    def visit_Continue(self, node: ast.Continue) -> ast.AST:
        if self._point(node, "statement", "removed continue"):
            return ast.Pass()
        return node

    def visit_Break(self, node: ast.Break) -> ast.AST:
        if self._point(node, "statement", "removed break"):
            return ast.Pass()
        return node

    def visit_Return(self, node: ast.Return) -> ast.AST:
        if node.value is None:
            return node
        is_none = isinstance(node.value, ast.Constant) and node.value.value is None
        if not is_none and self._point(node, "return", f"return {_short(node.value)} -> None"):
            node.value = ast.Constant(value=None)
            return node
        node.value = self.visit(node.value)
        return node

    # -- expressions -------------------------------------------------------------------------

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        return node  # text for people

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if _is_log_call(node):
            return node
        if _is_regex_call(node) and node.args:
            pattern = node.args[0]
            if isinstance(pattern, ast.Constant) and isinstance(pattern.value, str):
                for variant, description in _regex_variants(pattern.value):
                    if self._point(pattern, "regex", description):
                        node.args[0] = ast.Constant(value=variant)
                        return node
                node.args[1:] = [self.visit(arg) for arg in node.args[1:]]
                node.keywords = [self.visit(keyword) for keyword in node.keywords]
                return node
        return self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        swap = _BINOP_SWAPS.get(type(node.op))
        if swap is not None and self._point(
            node, "operator", f"{_short(node)}: {type(node.op).__name__} -> {swap.__name__}"
        ):
            node.op = swap()
            return node
        return self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        for position, operator in enumerate(node.ops):
            flip = _COMPARE_FLIPS.get(type(operator))
            if flip is not None and self._point(
                node, "compare", f"{_short(node)}: {type(operator).__name__} -> {flip.__name__}"
            ):
                node.ops[position] = flip()
                return node
        return self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        if self._point(node, "boolean", f"{_short(node)}: {type(other).__name__.lower()}"):
            node.op = other
            return node
        return self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        if isinstance(node.op, ast.Not) and self._point(node, "not", f"{_short(node)}: drop not"):
            return node.operand
        if isinstance(node.op, ast.USub) and self._point(node, "sign", f"{_short(node)}: drop -"):
            return node.operand
        return self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        if not isinstance(node.test, ast.Compare | ast.BoolOp | ast.UnaryOp) and self._point(
            node, "condition", f"{_short(node.test)} -> not ({_short(node.test)})"
        ):
            node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)
            return node
        return self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        for value, description in _constant_variants(node.value):
            if self._point(node, "constant", description):
                return ast.Constant(value=value)
        return node

    def _elements(self, node: ast.Set | ast.List | ast.Tuple) -> ast.AST:
        """A literal of constants loses one member at a time (an allow-list without an entry,
        a table without a row); other literals have their members mutated in place."""
        if node.elts and all(isinstance(element, ast.Constant) for element in node.elts):
            for position, element in enumerate(node.elts):
                if self._point(element, "element", f"drop {_short(element)} from the literal"):
                    node.elts = node.elts[:position] + node.elts[position + 1 :]
                    if isinstance(node, ast.Set) and not node.elts:
                        return ast.Call(ast.Name("set", ast.Load()), [], [])
                    return node
            return node
        return self.generic_visit(node)

    def visit_Set(self, node: ast.Set) -> ast.AST:
        return self._elements(node)

    def visit_List(self, node: ast.List) -> ast.AST:
        return self._elements(node)

    def visit_Tuple(self, node: ast.Tuple) -> ast.AST:
        if isinstance(node.ctx, ast.Store):
            return node
        return self._elements(node)

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        """A mapping loses one entry at a time; its values are mutated in place."""
        for position, key in enumerate(node.keys):
            if key is None:
                continue
            if self._point(key, "entry", f"drop the entry {_short(key)}"):
                node.keys = node.keys[:position] + node.keys[position + 1 :]
                node.values = node.values[:position] + node.values[position + 1 :]
                return node
        node.values = [self.visit(value) for value in node.values]
        return node
