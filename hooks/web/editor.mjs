// The book's code editor: CodeMirror 6 with Python highlighting, bundled by
// build.mjs into one file that the page loads the first time a reader edits
// a block. Tab is left to the browser (keyboard users move between controls
// with it); Ctrl-] and Ctrl-[ indent, Enter keeps the indentation.
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import { bracketMatching, indentOnInput, indentUnit, syntaxHighlighting } from "@codemirror/language";
import { EditorState } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";

/** Put an editor holding `code` into `parent`; `onRun` is called on Ctrl/Cmd-Enter. */
export function createEditor(parent, code, { label, onRun }) {
  const runKeys = [{ key: "Mod-Enter", run: () => { onRun(); return true; } }];
  return new EditorView({
    parent,
    state: EditorState.create({
      doc: code,
      extensions: [
        lineNumbers(),
        history(),
        drawSelection(),
        highlightActiveLine(),
        indentOnInput(),
        bracketMatching(),
        indentUnit.of("    "),
        python(),
        syntaxHighlighting(classHighlighter),
        keymap.of([...runKeys, ...defaultKeymap, ...historyKeymap]),
        EditorView.contentAttributes.of({ "aria-label": label }),
      ],
    }),
  });
}

/** The editor's current text. */
export function editorText(view) {
  return view.state.doc.toString();
}

/** Replace the editor's whole text (Reset). */
export function setEditorText(view, code) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: code } });
}
