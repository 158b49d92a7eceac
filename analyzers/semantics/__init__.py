"""Static facts about tensor values, read from the code (no framework is imported).

Dims are numbers or symbols (:mod:`.dims`); one layer table per framework (:mod:`.pytorch`,
:mod:`.keras`) and tensor operations (:mod:`.ops`) give shapes and parameter counts; the walks
are ``nn.Sequential`` / ``keras.Sequential`` (:mod:`.sequential`), ``nn.Module`` /
``keras.Model`` subclasses through ``forward`` / ``call`` (:mod:`.modules`, with the file-level
facts of :mod:`.inputs` and the constructor's parameters of :mod:`.constructor`: symbols such
as ``in_chans`` where no call of the file states them), and tensors bound outside classes (:mod:`.toplevel`: Keras functional
models, creators, model calls). :mod:`.hints` is what the editor shows (inlay hints, checked by
the shape oracle ``bench/shape_oracle.py``), :mod:`.variables` what a hover on a name shows.
"""
