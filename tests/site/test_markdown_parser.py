"""The parser the tests read the book with sees every fence a reader sees."""

from __future__ import annotations

from markdown_it import MarkdownIt

from tests.markdown_parser import make_parser

PAGE = '''\
# A page

```python
top = 1
```

!!! note
    ```python
    in_admonition = 2
    ```

??? success "Solution"
    Some text.

    ```{.python continuation}
    in_collapsible = 3
    ```

???+ tip "Open by default"
    ```python
    in_open_collapsible = 4


    def after_two_blank_lines():
        return 4
    ```

=== "First tab"

    ```python
    in_first_tab = 5
    ```

=== "Second tab"
    ```python
    in_second_tab = 6
    ```

    !!! warning
        ```python
        in_admonition_in_tab = 7
        ```

    ```python
    after_admonition_in_tab = 8
    ```

```python exec="on"
print(9)
```
'''


def _fence_contents(parser: MarkdownIt) -> list[str]:
    return [token.content for token in parser.parse(PAGE) if token.type == "fence"]


def test_plain_markdown_it_misses_nested_fences() -> None:
    """The reason the extension exists: stock markdown-it sees only two."""
    assert _fence_contents(MarkdownIt("commonmark")) == ["top = 1\n", 'print(9)\n']


def test_extended_parser_finds_fences_in_admonitions_and_tabs() -> None:
    contents = _fence_contents(make_parser())
    assert contents == [
        "top = 1\n",
        "in_admonition = 2\n",
        "in_collapsible = 3\n",
        "in_open_collapsible = 4\n\n\ndef after_two_blank_lines():\n    return 4\n",
        "in_first_tab = 5\n",
        "in_second_tab = 6\n",
        "in_admonition_in_tab = 7\n",
        "after_admonition_in_tab = 8\n",
        "print(9)\n",
    ]


def test_fence_lines_point_into_the_page() -> None:
    """Line numbers in a failure report must be the page's own."""
    lines = PAGE.splitlines()
    for token in make_parser().parse(PAGE):
        if token.type == "fence":
            assert lines[token.map[0]].strip().startswith("```")
