"""Static facts about tensor values, read from the code (no framework is imported).

So far: shapes and parameter counts through ``nn.Sequential`` / ``keras.Sequential`` models
(:mod:`.sequential`), layer by layer from one table per framework (:mod:`.pytorch`,
:mod:`.keras`), with dimensions that are numbers or symbols (:mod:`.dims`).
"""
