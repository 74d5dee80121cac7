/* ddf site search (search.html): runs in the browser, offline, over the index that
   search-index.js assigns to window.DDF_SEARCH_INDEX. No libraries and no eval; record text
   reaches the page only through textContent and text nodes, never as markup.

   A query is split into words; a record matches when every word occurs (case-insensitive) in
   its id, type, status, title or text. Ranking: the query being exactly the record's id first,
   then words matching the id, the title, the type or status, the text, in that order of weight;
   ties by id. */
(function (root) {
  "use strict";

  var LIMIT = 200; // results listed at most
  var CONTEXT = 60; // characters of text shown around the first match

  /* The words of a query, lower-cased. */
  function terms(query) {
    return String(query || "")
      .toLowerCase()
      .split(/\s+/)
      .filter(function (t) {
        return t.length > 0;
      });
  }

  /* The index's records as objects, with lower-cased copies to match against. */
  function prepare(index) {
    var out = [];
    if (!index || !index.records) {
      return out;
    }
    var types = index.types || [];
    var statuses = index.statuses || [];
    for (var i = 0; i < index.records.length; i++) {
      var e = index.records[i];
      var rec = {
        id: String(e[0]),
        type: types[e[1]] || "",
        title: String(e[2] || ""),
        status: statuses[e[3]] || "",
        href: e[4] || null,
        text: String(e[5] || "")
      };
      rec.lid = rec.id.toLowerCase();
      rec.ltitle = rec.title.toLowerCase();
      rec.lmeta = (rec.type + " " + rec.status).toLowerCase();
      rec.ltext = rec.text.toLowerCase();
      out.push(rec);
    }
    return out;
  }

  function wordStart(s, at) {
    return at === 0 || !/[a-z0-9]/.test(s.charAt(at - 1));
  }

  /* The score of a record for the words `ts` (whole query `whole`); 0 when a word is missing. */
  function score(rec, ts, whole) {
    var total = rec.lid === whole ? 1000 : 0;
    for (var i = 0; i < ts.length; i++) {
      var t = ts[i];
      var hit = 0;
      var at = rec.lid.indexOf(t);
      if (rec.lid === t) {
        hit += 100;
      } else if (at === 0) {
        hit += 40;
      } else if (at > 0) {
        hit += 20;
      }
      at = rec.ltitle.indexOf(t);
      if (at >= 0) {
        hit += wordStart(rec.ltitle, at) ? 15 : 10;
      }
      if (rec.lmeta.indexOf(t) >= 0) {
        hit += 3;
      }
      at = rec.ltext.indexOf(t);
      if (at >= 0) {
        hit += wordStart(rec.ltext, at) ? 2 : 1;
      }
      if (hit === 0) {
        return 0;
      }
      total += hit;
    }
    return total;
  }

  /* Every record matching `query`, best first: [{record, score}]. */
  function search(records, query) {
    var ts = terms(query);
    if (ts.length === 0) {
      return [];
    }
    var whole = ts.join(" ");
    var hits = [];
    for (var i = 0; i < records.length; i++) {
      var s = score(records[i], ts, whole);
      if (s > 0) {
        hits.push({ record: records[i], score: s });
      }
    }
    hits.sort(function (a, b) {
      if (a.score !== b.score) {
        return b.score - a.score;
      }
      return a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0;
    });
    return hits;
  }

  /* A piece of the record's text around the first match, as [text, isMatch] parts; null when
     the text holds no word of the query. */
  function snippet(rec, ts) {
    // Lower-casing can change the length of some characters; then show the lower-cased text,
    // whose positions are the ones found.
    var text = rec.text.length === rec.ltext.length ? rec.text : rec.ltext;
    var first = -1;
    for (var i = 0; i < ts.length; i++) {
      var at = rec.ltext.indexOf(ts[i]);
      if (at >= 0 && (first < 0 || at < first)) {
        first = at;
      }
    }
    if (first < 0) {
      return null;
    }
    var start = Math.max(0, first - CONTEXT);
    var end = Math.min(text.length, first + CONTEXT * 2);
    var low = rec.ltext;
    var parts = [];
    var pos = start;
    while (pos < end) {
      // The next occurrence of any word inside the window.
      var next = -1;
      var len = 0;
      for (var k = 0; k < ts.length; k++) {
        var a = low.indexOf(ts[k], pos);
        if (a >= 0 && a < end && (next < 0 || a < next || (a === next && ts[k].length > len))) {
          next = a;
          len = ts[k].length;
        }
      }
      if (next < 0) {
        parts.push([text.slice(pos, end), false]);
        break;
      }
      if (next > pos) {
        parts.push([text.slice(pos, next), false]);
      }
      parts.push([text.slice(next, next + len), true]);
      pos = next + len;
    }
    if (start > 0) {
      parts.unshift(["\u2026", false]);
    }
    if (end < text.length) {
      parts.push(["\u2026", false]);
    }
    return parts;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) {
      e.className = cls;
    }
    if (text !== undefined && text !== null) {
      e.textContent = text;
    }
    return e;
  }

  function render(list, status, records, query) {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    var ts = terms(query);
    if (ts.length === 0) {
      status.textContent = "Type an id or words to search " + records.length + " records.";
      return;
    }
    var hits = search(records, query);
    var shown = Math.min(hits.length, LIMIT);
    var q = "\u201c" + String(query).trim().replace(/\s+/g, " ") + "\u201d";
    if (hits.length === 0) {
      status.textContent = "No record matches " + q + ".";
    } else {
      status.textContent =
        (hits.length === 1 ? "1 record matches " : hits.length + " records match ") +
        q +
        (shown < hits.length ? "; the first " + shown + " are listed." : ".");
    }
    for (var i = 0; i < shown; i++) {
      var r = hits[i].record;
      var li = el("li");
      var a = el("a", "id", r.id);
      if (r.href) {
        a.setAttribute("href", r.href);
      } else {
        // A malformed or duplicated id has no page; the check report says why.
        a.setAttribute("href", "check.html");
        a.setAttribute("title", "no page of its own: see the check report");
      }
      li.appendChild(a);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "title", r.title));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "type", r.type));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "status", r.status));
      var parts = snippet(r, ts);
      if (parts) {
        var p = el("p", "snippet");
        for (var k = 0; k < parts.length; k++) {
          p.appendChild(parts[k][1] ? el("mark", null, parts[k][0]) : document.createTextNode(parts[k][0]));
        }
        li.appendChild(p);
      }
      list.appendChild(li);
    }
  }

  /* Puts the query in the address, so the page can be bookmarked or reloaded; some browsers
     refuse this for pages opened from disk, which only loses that convenience. */
  function remember(query) {
    try {
      var q = String(query).trim();
      root.history.replaceState(null, "", "search.html" + (q ? "?q=" + encodeURIComponent(q) : ""));
    } catch (e) {
      /* not allowed here */
    }
  }

  function start() {
    var form = document.getElementById("search-form");
    var input = document.getElementById("search-q");
    var list = document.getElementById("search-results");
    var status = document.getElementById("search-status");
    if (!form || !input || !list || !status) {
      return;
    }
    if (!root.DDF_SEARCH_INDEX) {
      status.textContent = "The search index (search-index.js) did not load.";
      return;
    }
    var records = prepare(root.DDF_SEARCH_INDEX);
    var query = "";
    try {
      query = new URLSearchParams(root.location.search).get("q") || "";
    } catch (e) {
      query = "";
    }
    input.value = query;
    var timer = null;
    function run() {
      render(list, status, records, input.value);
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        run();
        remember(input.value);
      }, 150);
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      clearTimeout(timer);
      run();
      remember(input.value);
    });
    run();
    if (!query) {
      input.focus();
    }
  }

  var api = { terms: terms, prepare: prepare, score: score, search: search, snippet: snippet };
  if (typeof module === "object" && module && module.exports) {
    module.exports = api;
  }
  if (typeof document !== "undefined") {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", start);
    } else {
      start();
    }
  }
})(typeof window !== "undefined" ? window : this);
