"""The standing mutation check (``make mutate``, docs/mutation.md).

A small AST mutator rather than mutmut: mutmut 3 mutates only function bodies (it swaps each
function for a trampoline), and the rules that decide safety here are as often module-level
constants, regular expressions and frozensets. Each mutant runs the module's fast unit tests in a
forked child whose import system serves the mutated source from memory, so the working tree is
never written and an interrupted run leaves nothing to restore.
"""
