// axe-core's default rules on the page as it is now, with its costliest
// rule, color-contrast, run once per distinct set of contrast inputs instead
// of once per text element (tests/site/browser.py, `serious_violations`,
// says why). Written against axe-core 4.12's color-contrast rule.
//
// Two text elements are twins when everything axe-core reads to decide their
// contrast is the same: the kind of their text (below), their own colour,
// font size and weight, text shadow and stroke; whether axe counts them as
// visible; and what lies behind them: the nearest box up the tree that
// paints a background, and every box on the way that is composited on its
// own (opacity, a filter, a blend, a position outside the flow), since such
// a box may sit over something else.
//
// Text where axe often cannot decide the contrast (the navigation, drawings,
// the small type of sub- and superscripts) is never grouped, so that it is
// all checked in run 1 rather than sending its twins to a run 2, which costs
// as much again as run 1's contrast part.
//
// Run 1: every rule, color-contrast skipping all twins but the first of each
// group. A first member that passes or fails decides its group; a failing
// one's count includes its twins. Run 2: color-contrast alone on the twins of
// a first member that axe left undecided, unless the rule's own logic leaves
// every such twin undecided or passed too (`undecidedForAll`).
//
// Returns {violations: [{id, impact, count, html}], texts, twins, rechecked}.
async (everyElement) => {
  const TWIN = "data-contrast-twin";
  const NEVER_GROUPED = "nav, svg, .md-header, .md-tabs, .katex .mtight";
  const RECHECK = "data-contrast-recheck";
  const OPTIONS = { elementRef: true, selectors: false, ancestry: false, xpath: false };
  const { removeUnicode, hasUnicode, sanitize } = axe.commons.text;

  const paintsNothing = (style) =>
    style.backgroundImage === "none" &&
    /^(rgba\(0, 0, 0, 0\)|transparent)$/.test(style.backgroundColor);
  const ownLayer = (style) =>
    style.opacity !== "1" || style.filter !== "none" || style.mixBlendMode !== "normal" ||
    /^(fixed|absolute|sticky)$/.test(style.position);
  const ownText = (element) => sanitize([...element.childNodes]
    .filter((node) => node.nodeType === Node.TEXT_NODE).map((node) => node.textContent).join(""));
  // The kinds of text the rule treats apart: it skips text with no letters
  // (only punctuation or emoji); it leaves undecided text made only of
  // characters beyond the BMP, and one character whose contrast fails.
  const kindOf = (text) => {
    if (!removeUnicode(text, { emoji: true, nonBmp: false, punctuations: true })) return "no letters";
    if (hasUnicode(text, { nonBmp: true }) && !sanitize(removeUnicode(text, { nonBmp: true }))) {
      return "beyond BMP";
    }
    return text.length === 1 ? "one character" : "text";
  };

  // The groups of twins, in page order: [{kind, visible, members}].
  const groupsOf = () => {
    const numbers = new Map();
    const numberOf = (element) => {
      if (!numbers.has(element)) numbers.set(element, numbers.size);
      return numbers.get(element);
    };
    const groups = new Map();
    axe.setup(document);
    try {
      for (const element of document.body.querySelectorAll("*")) {
        const text = ownText(element);
        if (!text || element.closest(NEVER_GROUPED)) continue;
        const style = getComputedStyle(element);
        const kind = kindOf(text);
        const visible = axe.commons.dom.isVisibleOnScreen(element);
        const key = [kind, visible, style.color, style.fontSize, style.fontWeight, style.textShadow,
                     style.webkitTextStrokeWidth, style.webkitTextStrokeColor];
        for (let node = element; node; node = node.parentElement) {
          const nodeStyle = node === element ? style : getComputedStyle(node);
          if (ownLayer(nodeStyle)) key.push(`layer ${numberOf(node)}`);
          if (!paintsNothing(nodeStyle)) {
            key.push(`behind ${numberOf(node)}`);
            break;
          }
        }
        const signature = JSON.stringify(key);
        if (!groups.has(signature)) groups.set(signature, { kind, visible, members: [] });
        groups.get(signature).members.push(element);
      }
    } finally {
      axe.teardown();
    }
    return [...groups.values()];
  };

  // True when the rule would leave every twin of this undecided first member
  // undecided or passed as well, so that run 2 could find nothing.
  const undecidedForAll = (group, messageKey) =>
    !group.visible ||                  // a box not visible on screen passes as "hidden"
    group.kind === "no letters" ||     // not checked at all
    (group.kind === "beyond BMP" && messageKey === "nonBmp") ||
    (group.kind === "one character" && messageKey === "shortTextContent");

  const contrastOn = (selector) => axe.configure({ rules: [{ id: "color-contrast", selector }] });
  const nodesOf = (list, id) => (list.find((rule) => rule.id === id) || { nodes: [] }).nodes;
  const summary = (rule, count) =>
    ({ id: rule.id, impact: rule.impact, count, html: rule.nodes[0].html });

  if (everyElement) {
    const results = await axe.run(document, OPTIONS);
    return { violations: results.violations.map((rule) => summary(rule, rule.nodes.length)),
             texts: null, twins: 0, rechecked: 0 };
  }

  const groups = groupsOf();
  const marked = [];
  const mark = (element, name) => { element.setAttribute(name, ""); marked.push([element, name]); };
  try {
    for (const group of groups) group.members.slice(1).forEach((twin) => mark(twin, TWIN));
    contrastOn(`*:not([${TWIN}])`);
    const first = await axe.run(document, {
      ...OPTIONS, resultTypes: ["violations", "passes", "incomplete"] });

    const outcome = new Map();  // first member -> "decided" or the message key axe left
    nodesOf(first.passes, "color-contrast").forEach((node) => outcome.set(node.element, "decided"));
    nodesOf(first.violations, "color-contrast").forEach((node) => outcome.set(node.element, "decided"));
    for (const node of nodesOf(first.incomplete, "color-contrast")) {
      const check = [...node.any, ...node.all, ...node.none].find((c) => c.data && c.data.messageKey);
      outcome.set(node.element, check ? check.data.messageKey : "incomplete");
    }
    let rechecked = 0;
    for (const group of groups) {
      const [leader, ...twins] = group.members;
      const result = outcome.get(leader);
      if (result === "decided" || undecidedForAll(group, result)) continue;
      twins.forEach((twin) => mark(twin, RECHECK));
      rechecked += twins.length;
    }
    const failing = [...nodesOf(first.violations, "color-contrast")];
    if (rechecked) {
      contrastOn(`[${RECHECK}]`);
      const second = await axe.run(document, { ...OPTIONS, runOnly: ["color-contrast"] });
      failing.push(...nodesOf(second.violations, "color-contrast"));
    }

    const twinsOf = new Map(groups.map((group) => [group.members[0], group.members.length - 1]));
    const violations = first.violations
      .filter((rule) => rule.id !== "color-contrast")
      .map((rule) => summary(rule, rule.nodes.length));
    if (failing.length) {
      const count = failing.reduce((sum, node) => sum + 1 + (twinsOf.get(node.element) || 0), 0);
      const impact = failing.some((node) => node.impact === "critical") ? "critical" : "serious";
      violations.push({ id: "color-contrast", impact, count, html: failing[0].html });
    }
    return { violations, texts: groups.reduce((sum, group) => sum + group.members.length, 0),
             twins: groups.reduce((sum, group) => sum + group.members.length - 1, 0), rechecked };
  } finally {
    for (const [element, name] of marked) element.removeAttribute(name);
    axe.reset();
  }
}
