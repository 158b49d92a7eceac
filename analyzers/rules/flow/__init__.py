"""The dataflow shared by the flow rules: walker.py walks statements and binds abstract values,
run.py runs analyses from ModuleRules, memoized per chunk and shared in one walk."""
