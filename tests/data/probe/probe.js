// The layout and accessibility probe of tests/cli/browser.rs: injected into a page of the
// example site, it measures the page (sideways scroll, elements wider than the window outside a
// scrolling container, cut-off scrolling containers), runs axe-core when it is loaded, and
// writes the result as JSON into <pre id="ddf-probe"> (of the framing page, in frame.html).
(function () {
  function done(out) {
    var pre = document.createElement('pre');
    pre.id = 'ddf-probe';
    pre.textContent = JSON.stringify(out);
    // In the narrow frame of frame.html, report to the page around it (same origin).
    var doc = window.parent !== window ? window.parent.document : document;
    doc.body.appendChild(pre);
  }
  var de = document.documentElement;
  var out = { width: window.innerWidth, scrollWidth: de.scrollWidth, wide: [] };
  // Elements wider than the viewport that are not inside a scrolling container.
  var vw = window.innerWidth;
  document.querySelectorAll('body *').forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.right > vw + 1) {
      for (var p = el.parentElement; p; p = p.parentElement) {
        var ox = getComputedStyle(p).overflowX;
        if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') return;
      }
      out.wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && el.className.baseVal === undefined ? '.' + String(el.className).replace(/ /g, '.') : '') + ' ' + Math.round(r.right));
    }
  });
  out.wide = out.wide.slice(0, 15);
  // Scrolling containers whose content is cut off: at desktop width none may be (the Status
  // column of a register must be in view); on a phone they scroll, which is the point.
  out.clipped = [];
  document.querySelectorAll('main *').forEach(function (el) {
    var ox = getComputedStyle(el).overflowX;
    if ((ox === 'auto' || ox === 'scroll' || ox === 'hidden') && el.tagName !== 'PRE' && el.scrollWidth > el.clientWidth + 1) {
      out.clipped.push(el.tagName.toLowerCase() + '.' + String(el.className).replace(/ /g, '.') + ' ' + el.scrollWidth + '>' + el.clientWidth);
    }
  });
  out.clipped = out.clipped.slice(0, 15);
  if (window.axe) {
    axe.run(document, { resultTypes: ['violations'] }).then(function (r) {
      out.violations = r.violations.map(function (v) {
        return { id: v.id, impact: v.impact, nodes: v.nodes.length, first: v.nodes.slice(0, 3).map(function (n) { return n.target.join(' ') + ' :: ' + (n.failureSummary || '').slice(0, 200); }) };
      });
      done(out);
    }, function (e) { out.error = String(e); done(out); });
  } else {
    done(out);
  }
})();
