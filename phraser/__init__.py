"""phraser: a phrase recommendation engine for Chinese official writing (公文).

Data flows one way: text → corpus → mine → bank → index → match → rank → CLI.
"""

__version__ = "0.1.0"
