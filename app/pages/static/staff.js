/* The staff form (/staff): posts a stage of an operation through the JSON API, corrects and
 * deletes stages. No inline handlers (the page's CSP runs only this file); every text comes
 * from the page (the JSON block #staff-messages, in the page's language).
 *
 * - The API key lives only in sessionStorage, for this tab; no cookie is ever set.
 * - Errors of the API (problem+json, `errors: [{name, in, message}]`) are shown next to the
 *   control whose data-path is the error's name (`seizures[0].parts[1].quantity`), or the
 *   nearest container of it; nothing typed is lost.
 * - Every post carries an Idempotency-Key, made anew when the form's content changes and
 *   kept for retries, so a retry or a double click never creates two stages.
 * - Corrections send the ETag of the last GET as If-Match; a 412 says so and offers a reload.
 */
(function () {
  "use strict";

  var API = "/api/v1";
  var KEY_STORE = "ksopn.staff.apiKey";
  var root = document.getElementById("staff");
  if (!root) return;
  var LANG = root.getAttribute("data-lang") === "ru" ? "ru" : "en";
  var MESSAGES = JSON.parse(document.getElementById("staff-messages").textContent);

  /** The unit a kind of result counts, as the page's list of kinds gives it. */
  function resultUnit(metric) {
    var found = document.getElementById("tpl-result").content.querySelector("option[value='" + metric + "']");
    return found ? found.getAttribute("data-unit") : "items";
  }

  function t(name, values) {
    var text = Object.prototype.hasOwnProperty.call(MESSAGES, name) ? MESSAGES[name] : name;
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("{" + key + "}").join(String(values[key]));
    });
    return text;
  }

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var statusLine = $("staff-status");
  function announce(text) {
    // A change of text is what a live region announces; clear first so a repeat is heard.
    statusLine.textContent = "";
    window.setTimeout(function () {
      statusLine.textContent = text;
    }, 30);
  }

  // -- the API key -----------------------------------------------------------------------

  function storedKey() {
    try {
      return window.sessionStorage.getItem(KEY_STORE) || "";
    } catch (error) {
      return "";
    }
  }

  function showKeyState() {
    var has = storedKey() !== "";
    $("key-state").textContent = has ? t("keySet") : t("keyNotSet");
    $("key-forget").disabled = !has;
  }

  $("key-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("api-key");
    var value = input.value.trim().replace(/^Bearer\s+/i, "");
    clearErrors($("key-form"));
    if (value === "") {
      markField(input, t("keyRequired"));
      input.focus();
      return;
    }
    try {
      window.sessionStorage.setItem(KEY_STORE, value);
    } catch (error) {
      markField(input, t("keyNotKept"));
      return;
    }
    input.value = "";
    showKeyState();
    announce(t("keySet"));
    if (!listsLoaded) loadLists();
  });

  $("key-forget").addEventListener("click", function () {
    try {
      window.sessionStorage.removeItem(KEY_STORE);
    } catch (error) {
      /* nothing kept, nothing to forget */
    }
    showKeyState();
    announce(t("keyForgotten"));
    $("api-key").focus();
  });

  function needKey(form) {
    if (storedKey() !== "") return false;
    showSummary(form, [{ text: t("keyMissing"), target: $("api-key") }]);
    $("api-key").focus();
    return true;
  }

  // -- calling the API -------------------------------------------------------------------

  function call(method, path, options) {
    options = options || {};
    // The API's messages in the form's language: a Russian form shows Russian refusals.
    var headers = { Accept: "application/json", "Accept-Language": document.documentElement.lang || "en" };
    var key = storedKey();
    if (key) headers.Authorization = "Bearer " + key;
    Object.keys(options.headers || {}).forEach(function (name) {
      headers[name] = options.headers[name];
    });
    var init = { method: method, headers: headers, cache: "no-store", credentials: "omit" };
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    var url = path.indexOf(API + "/") === 0 ? path : API + path;
    return window.fetch(url, init).then(
      function (response) {
        var type = response.headers.get("Content-Type") || "";
        var body = type.indexOf("json") >= 0 ? response.json().catch(function () { return null; }) : Promise.resolve(null);
        return body.then(function (data) {
          return { status: response.status, data: data, headers: response.headers };
        });
      },
      function () {
        return { status: 0, data: null, headers: new Headers() };
      }
    );
  }

  function every(path) {
    var items = [];
    function page(url) {
      return call("GET", url).then(function (answer) {
        if (answer.status !== 200 || !answer.data) throw answer;
        if (Array.isArray(answer.data)) return answer.data;
        items = items.concat(answer.data.items || []);
        return answer.data.next ? page(answer.data.next) : items;
      });
    }
    return page(path + (path.indexOf("?") >= 0 ? "&" : "?") + "limit=1000");
  }

  function newRequestKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // -- reference lists for the pickers ---------------------------------------------------

  var lists = { operation: [], source: [], country: [], party: [], substance: [] };
  var names = { country: {}, party: {}, substance: {}, operation: {} };
  var listsLoaded = false;
  var listsProblem = false; // the form's summary says the lists did not load

  function localName(item) {
    return (LANG === "ru" ? item.name_ru || item.name_en : item.name_en || item.name_ru) || "";
  }

  function byName(a, b) {
    return a.label.localeCompare(b.label, LANG);
  }

  function loadLists() {
    return Promise.all([
      every("/operations"),
      every("/sources"),
      every("/countries"),
      every("/member-states"),
      every("/organizations"),
      call("GET", "/substances/tree").then(function (answer) {
        if (answer.status !== 200) throw answer;
        return answer.data;
      }),
    ]).then(
      function (results) {
        buildLists(results[0], results[1], results[2], results[3], results[4], results[5]);
        listsLoaded = true;
        fillPickers(document);
        if (listsProblem) clearErrors($("stage-form"));
        listsProblem = false;
      },
      function (answer) {
        var message = answer && answer.status === 401 ? t("listsNeedKey") : t("listsFailed");
        listsProblem = true;
        showSummary($("stage-form"), [{ text: message, target: answer && answer.status === 401 ? $("api-key") : null }]);
      }
    );
  }

  function buildLists(operations, sources, countries, members, organizations, tree) {
    lists.operation = operations.map(function (o) {
      names.operation[o.slug] = localName(o);
      return { value: o.slug, label: localName(o) };
    });
    lists.source = sources.map(function (s) {
      var title = s.title.length > 90 ? s.title.slice(0, 89) + "…" : s.title;
      return { value: s.slug, label: s.slug + " — " + title, title: s.title };
    });
    var countryOptions = countries.map(function (c) {
      names.country[c.iso3] = localName(c);
      return { value: c.iso3, label: localName(c) + " (" + c.iso3 + ")" };
    }).sort(byName);
    lists.country = [{ value: "", label: t("none") }].concat(countryOptions);
    var memberCodes = {};
    members.forEach(function (m) {
      memberCodes[m.iso3] = true;
    });
    lists.members = members.map(function (m) {
      return m.iso3;
    });
    var orgOptions = organizations.map(function (o) {
      var acronym = LANG === "ru" ? o.acronym_ru || o.acronym_en : o.acronym_en || o.acronym_ru;
      var label = localName(o) + (acronym ? " (" + acronym + ")" : "");
      names.party[o.slug] = label;
      return { value: o.slug, label: label };
    }).sort(byName);
    countryOptions.forEach(function (c) {
      names.party[c.value] = c.label;
    });
    names.party["member-states"] = t("memberStatesGroup");
    lists.party = [
      { value: "", label: t("choose") },
      { group: t("groupOfParties"), options: [{ value: "member-states", label: t("memberStatesGroup") }] },
      { group: t("memberStates"), options: countryOptions.filter(function (c) { return memberCodes[c.value]; }) },
      { group: t("otherCountries"), options: countryOptions.filter(function (c) { return !memberCodes[c.value]; }) },
      { group: t("organizations"), options: orgOptions },
    ];
    var substances = [{ value: "", label: t("choose") }];
    (function walk(nodes, depth) {
      nodes.forEach(function (node) {
        names.substance[node.slug] = localName(node);
        substances.push({ value: node.slug, label: "\u00a0\u00a0\u00a0".repeat(depth) + localName(node) });
        walk(node.children || [], depth + 1);
      });
    })(tree || [], 0);
    lists.substance = substances;
    lists.operation = lists.operation.length ? lists.operation : [{ value: "", label: t("none") }];
    lists.source = [{ value: "", label: t("choose") }].concat(lists.source);
  }

  function option(item) {
    var node = el("option", { value: item.value, text: item.label });
    if (item.title) node.title = item.title;
    return node;
  }

  function fillPicker(select) {
    var items = lists[select.getAttribute("data-picker")] || [];
    if (!items.length) return;
    var current = select.getAttribute("data-wanted") || select.value;
    select.textContent = "";
    items.forEach(function (item) {
      if (item.group) {
        select.appendChild(el("optgroup", { label: item.group }, item.options.map(option)));
      } else {
        select.appendChild(option(item));
      }
    });
    if (current) setSelect(select, current);
  }

  function fillPickers(scope) {
    Array.prototype.forEach.call(scope.querySelectorAll("select[data-picker]"), fillPicker);
  }

  /** Selects `value`; one not in the list yet (a list still loading) is chosen once it is. */
  function setSelect(select, value) {
    value = value || "";
    var found = Array.prototype.some.call(select.options, function (o) {
      return o.value === value;
    });
    if (found) {
      select.value = value;
      select.removeAttribute("data-wanted");
    } else if (value) {
      if (!listsLoaded) {
        select.setAttribute("data-wanted", value);
      } else {
        select.appendChild(option({ value: value, label: value }));
        select.value = value;
      }
    } else {
      select.value = "";
    }
  }

  // -- rows: parties, seizures and their parts -------------------------------------------

  var uid = 0;
  function wireFields(scope) {
    Array.prototype.forEach.call(scope.querySelectorAll(".field"), function (field) {
      var control = field.querySelector("input, select, textarea");
      var label = field.querySelector("label");
      if (!control || !label || control.id) return;
      uid += 1;
      control.id = "staff-field-" + uid;
      label.htmlFor = control.id;
    });
  }

  function addRow(list, kind, focus) {
    var row = $("tpl-" + kind).content.firstElementChild.cloneNode(true);
    list.querySelector(":scope > .rows").appendChild(row);
    wireFields(row);
    fillPickers(row);
    renumber();
    formChanged();
    if (focus) {
      var first = row.querySelector("select, input");
      if (first) first.focus();
    }
    return row;
  }

  /** Sets each row's legend and the data-path of every control, from where it stands now. */
  function renumber() {
    function walk(scope, prefix) {
      Array.prototype.forEach.call(scope.querySelectorAll("[data-list]"), function (list) {
        if (list.parentElement.closest("[data-row]") !== (scope.matches && scope.matches("[data-row]") ? scope : null)) {
          return;
        }
        var listPath = (prefix ? prefix + "." : "") + list.getAttribute("data-list");
        list.setAttribute("data-path", listPath);
        var rows = list.querySelectorAll(":scope > .rows > [data-row]");
        Array.prototype.forEach.call(rows, function (row, index) {
          var rowPath = listPath + "[" + index + "]";
          row.setAttribute("data-path", rowPath);
          var legend = row.querySelector(":scope > [data-row-legend]");
          legend.textContent = t(list.getAttribute("data-row-label"), { n: index + 1 });
          Array.prototype.forEach.call(row.querySelectorAll("[data-name]"), function (control) {
            if (control.closest("[data-row]") !== row) return;
            var name = control.getAttribute("data-name");
            control.setAttribute("data-path", name === "." ? rowPath : rowPath + "." + name);
          });
          Array.prototype.forEach.call(row.querySelectorAll("[data-remove]"), function (button) {
            if (button.closest("[data-row]") !== row) return;
            button.setAttribute("aria-label", button.textContent.trim() + ": " + legend.textContent);
          });
          walk(row, rowPath);
        });
      });
    }
    walk(stageForm, "");
  }

  var stageForm = $("stage-form");

  stageForm.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button || !stageForm.contains(button)) return;
    if (button.hasAttribute("data-add")) {
      addRow(button.closest("[data-list]"), button.getAttribute("data-add"), true);
    } else if (button.hasAttribute("data-add-members")) {
      var list = button.closest("[data-list]");
      var present = rowsOf(list).map(function (row) {
        return row.querySelector("[data-name='.']").value;
      });
      var added = null;
      (lists.members || []).forEach(function (iso3) {
        if (present.indexOf(iso3) >= 0) return;
        var row = addRow(list, "party", false);
        setSelect(row.querySelector("[data-name='.']"), iso3);
        added = added || row;
      });
      if (added) added.querySelector("select").focus();
    } else if (button.hasAttribute("data-remove")) {
      var row = button.closest("[data-row]");
      var owner = row.parentElement.closest("[data-list]");
      row.remove();
      renumber();
      formChanged();
      var remaining = rowsOf(owner);
      var next = remaining.length ? remaining[remaining.length - 1].querySelector("select, input") : owner.querySelector(":scope > .actions button");
      if (next) next.focus();
      announce(t("rowRemoved"));
    }
  });

  function rowsOf(list) {
    return Array.prototype.slice.call(list.querySelectorAll(":scope > .rows > [data-row]"));
  }

  // -- errors next to the fields ---------------------------------------------------------

  function errorSlot(target) {
    if (target.matches("input, select, textarea")) {
      var field = target.closest(".field");
      return field ? field.querySelector(".error") : null;
    }
    return target.querySelector(":scope > .error");
  }

  function markField(target, message, link) {
    var slot = errorSlot(target);
    if (!slot) return false;
    if (!slot.id) {
      uid += 1;
      slot.id = "staff-error-" + uid;
    }
    if (slot.hidden) {
      slot.textContent = "";
      slot.hidden = false;
    } else {
      slot.appendChild(document.createTextNode(" "));
    }
    slot.appendChild(document.createTextNode(message));
    if (link) {
      slot.appendChild(document.createTextNode(" "));
      slot.appendChild(el("a", { href: link.href, text: link.text }));
    }
    if (target.matches("input, select, textarea")) {
      target.setAttribute("aria-invalid", "true");
      var described = (target.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
      if (described.indexOf(slot.id) < 0) described.push(slot.id);
      target.setAttribute("aria-describedby", described.join(" "));
    } else {
      target.classList.add("invalid");
    }
    return true;
  }

  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll(".error"), function (slot) {
      slot.hidden = true;
      slot.textContent = "";
      Array.prototype.forEach.call(form.querySelectorAll("[aria-describedby~='" + slot.id + "']"), function (control) {
        var rest = control.getAttribute("aria-describedby").split(/\s+/).filter(function (id) {
          return id && id !== slot.id;
        });
        if (rest.length) control.setAttribute("aria-describedby", rest.join(" "));
        else control.removeAttribute("aria-describedby");
      });
    });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (control) {
      control.removeAttribute("aria-invalid");
    });
    Array.prototype.forEach.call(form.querySelectorAll(".invalid"), function (node) {
      node.classList.remove("invalid");
    });
    var summary = form.querySelector(".error-summary");
    if (summary) {
      summary.hidden = true;
      summary.textContent = "";
    }
  }

  /** The control (or else the nearest container) a problem's `name` path names. */
  function findByPath(form, name) {
    var path = String(name || "");
    while (path) {
      var found = null;
      Array.prototype.some.call(form.querySelectorAll("[data-path]"), function (node) {
        if (node.getAttribute("data-path") === path) {
          found = node;
          return true;
        }
        return false;
      });
      if (found) return found;
      var shorter = path.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
      if (shorter === path) break;
      path = shorter;
    }
    return null;
  }

  function labelOf(target) {
    if (target.matches("input, select, textarea")) {
      var label = target.id ? document.querySelector("label[for='" + target.id + "']") : null;
      var row = target.closest("[data-row]");
      var text = label ? label.textContent.trim() : "";
      if (row) text = row.querySelector(":scope > [data-row-legend]").textContent + ": " + text;
      return text;
    }
    var legend = target.querySelector(":scope > legend");
    return legend ? legend.textContent.trim() : "";
  }

  /** Shows `problems` ({text, target, link}) in the form's summary (role=alert), each next
   * to its target too; focuses the first target. */
  function showSummary(form, problems) {
    var summary = form.querySelector(".error-summary");
    summary.textContent = "";
    var heading = el("p", { class: "summary-title", text: t(problems.length > 1 ? "problemsMany" : "problemsOne", { n: problems.length }) });
    var list = el("ul");
    problems.forEach(function (problem) {
      var item = el("li");
      var targetInForm = problem.target && form.contains(problem.target);
      if (targetInForm) markField(problem.target, problem.text, problem.link);
      var focusable = problem.target && problem.target.matches("input, select, textarea, button") ? problem.target : problem.target && problem.target.querySelector("input, select, textarea, button");
      var prefix = problem.target ? labelOf(problem.target) : "";
      var text = (prefix ? prefix + ": " : "") + problem.text;
      if (focusable && focusable.id) {
        var anchor = el("a", { href: "#" + focusable.id, text: text });
        anchor.addEventListener("click", function (event) {
          event.preventDefault();
          focusable.focus();
        });
        item.appendChild(anchor);
      } else {
        item.appendChild(document.createTextNode(text));
      }
      if (problem.link && !targetInForm) {
        item.appendChild(document.createTextNode(" "));
        item.appendChild(el("a", { href: problem.link.href, text: problem.link.text }));
      }
      list.appendChild(item);
    });
    summary.appendChild(heading);
    summary.appendChild(list);
    summary.hidden = false;
    var first = problems.map(function (p) { return p.target; }).filter(Boolean)[0];
    var focusTarget = first && (first.matches("input, select, textarea") ? first : first.querySelector("input, select, textarea"));
    (focusTarget || summary).focus();
  }

  /** The problems of an API answer that is not a success, for showSummary. */
  function problemsOf(form, answer, what) {
    var data = answer.data || {};
    var detail = data.detail ? String(data.detail) : "";
    if (answer.status === 0) return [{ text: t("network") }];
    if (answer.status === 401) return [{ text: t("keyRefused"), target: $("api-key") }];
    if (answer.status === 403) return [{ text: t("keyCannotWrite"), target: $("api-key") }];
    if (answer.status === 429) return [{ text: t("tooManyTries", { seconds: data.retry_after || "?" }) }];
    if (answer.status === 503) return [{ text: t("busy") }];
    if (answer.status === 413) return [{ text: t("tooLarge") }];
    if (answer.status === 404) return [{ text: t(what === "stage" ? "stageNotFound" : "operationNotFound"), target: what === "stage" ? null : findByPath(form, "operation") }];
    var errors = Array.isArray(data.errors) ? data.errors : [];
    var problems = errors.map(function (error) {
      var target = error.in === "body" ? findByPath(form, error.name) : null;
      if (answer.status === 409 && error.name === "number") {
        var link = data.existing ? { href: data.existing, text: t("existingStage") } : null;
        return { text: t("numberTaken"), target: target, link: link };
      }
      var text = t("notAccepted", { message: error.message });
      if (!target) text = error.name + ": " + text;
      return { text: text, target: target };
    });
    if (!problems.length) {
      problems.push({ text: t("failed", { status: answer.status }) + (detail ? " " + detail : "") });
    }
    return problems;
  }

  // -- the new stage ---------------------------------------------------------------------

  var requestKey = null; // the Idempotency-Key of the form's current content
  var inFlight = false;

  function formChanged() {
    requestKey = null;
  }
  stageForm.addEventListener("input", formChanged);
  stageForm.addEventListener("change", formChanged);

  function valueAt(scope, name) {
    var control = scope.querySelector("[data-name='" + name + "']");
    return control ? control.value.trim() : "";
  }

  /** A whole number as a JSON number; anything else as typed, for the API to refuse. */
  function wholeNumber(text) {
    return /^\d+$/.test(text) && text.length < 16 ? parseInt(text, 10) : text;
  }

  function collectStage() {
    var body = {};
    var problems = [];
    function required(control, value) {
      if (value === "") problems.push({ text: t("required"), target: control });
      return value;
    }
    required($("new-operation"), $("new-operation").value);
    var number = $("new-number").value.trim();
    if (number !== "") body.number = wholeNumber(number); // only where a source states it
    [["new-name-ru", "name_ru"], ["new-name-en", "name_en"], ["new-lead", "lead_country"], ["new-description", "description"], ["new-start", "start_on"], ["new-end", "end_on"]].forEach(function (pair) {
      var value = $(pair[0]).value.trim();
      if (value !== "") body[pair[1]] = value;
    });
    var headquarters = {};
    [["new-hq-city-ru", "city_ru"], ["new-hq-city-en", "city_en"], ["new-hq-country", "country"]].forEach(function (pair) {
      var value = $(pair[0]).value.trim();
      if (value !== "") headquarters[pair[1]] = value;
    });
    if (Object.keys(headquarters).length) body.headquarters = headquarters;
    if ($("new-source-toggle").checked) {
      body.new_source = collectNewSource(required);
      body.source = body.new_source.slug;
    } else {
      body.source = required($("new-source"), $("new-source").value);
    }
    body.locator = required($("new-locator"), $("new-locator").value.trim());
    if (body.start_on && body.end_on && body.end_on < body.start_on) {
      problems.push({ text: t("endBeforeStart"), target: $("new-end") });
    }
    if ($("new-start").validity && $("new-start").validity.badInput) problems.push({ text: t("badDate"), target: $("new-start") });
    if ($("new-end").validity && $("new-end").validity.badInput) problems.push({ text: t("badDate"), target: $("new-end") });
    ["participants", "observers"].forEach(function (name) {
      body[name] = rowsOf(stageForm.querySelector("[data-list='" + name + "']")).map(function (row) {
        var select = row.querySelector("[data-name='.']");
        var party = required(select, select.value);
        var detail = valueAt(row, "detail");
        return detail ? { party: party, detail: detail } : party;
      });
    });
    function seizure(row, withParts) {
      var item = {};
      item.substance = required(row.querySelector("[data-name='substance']"), valueAt(row, "substance"));
      item.quantity = required(row.querySelector("[data-name='quantity']"), valueAt(row, "quantity"));
      if (withParts) {
        if (valueAt(row, "country")) item.country = valueAt(row, "country");
        if (valueAt(row, "cases")) item.cases = wholeNumber(valueAt(row, "cases"));
        item.parts = rowsOf(row.querySelector("[data-list='parts']")).map(function (part) {
          return seizure(part, false);
        });
      }
      return item;
    }
    body.seizures = rowsOf(stageForm.querySelector("[data-list='seizures']")).map(function (row) {
      return seizure(row, true);
    });
    body.results = rowsOf(stageForm.querySelector("[data-list='results']")).map(function (row) {
      var metric = required(row.querySelector("[data-name='metric']"), valueAt(row, "metric"));
      var item = { metric: metric, as_reported: required(row.querySelector("[data-name='as_reported']"), valueAt(row, "as_reported")) };
      if (metric) item.unit = resultUnit(metric);
      if (valueAt(row, "source")) item.source = valueAt(row, "source");
      if (valueAt(row, "locator")) item.locator = valueAt(row, "locator");
      if (valueAt(row, "version_of")) item.version_of = rowIndex(row.querySelector("[data-name='version_of']"), valueAt(row, "version_of"));
      return item;
    });
    // Officers involved is one more result, after the listed ones: its errors come back by
    // that place (results[n]), so the field takes the path for this submission.
    var officers = $("new-officers");
    officers.setAttribute("data-path", "results[" + body.results.length + "].as_reported");
    if (officers.value.trim() !== "") {
      body.results.push({ metric: "officers_involved", unit: resultUnit("officers_involved"), as_reported: officers.value.trim() });
    }
    body.seizure_versions = rowsOf(stageForm.querySelector("[data-list='seizure_versions']")).map(function (row) {
      return {
        of: rowIndex(row.querySelector("[data-name='of']"), required(row.querySelector("[data-name='of']"), valueAt(row, "of"))),
        quantity: required(row.querySelector("[data-name='quantity']"), valueAt(row, "quantity")),
        source: required(row.querySelector("[data-name='source']"), valueAt(row, "source")),
        locator: required(row.querySelector("[data-name='locator']"), valueAt(row, "locator")),
      };
    });
    /** A row number as people count (from 1) to the API's index (from 0). */
    function rowIndex(control, text) {
      if (text === "") return text;
      if (!/^\d+$/.test(text) || parseInt(text, 10) < 1) {
        problems.push({ text: t("wholeNumberFrom1"), target: control });
        return text;
      }
      return parseInt(text, 10) - 1;
    }
    return { body: body, problems: problems };
  }

  /** The new source typed inline; its required fields are refused here first. */
  function collectNewSource(required) {
    var source = {};
    [["ns-slug", "slug"], ["ns-title", "title"], ["ns-publisher", "publisher"], ["ns-language", "language"], ["ns-scheme", "locator_scheme"]].forEach(function (pair) {
      source[pair[1]] = required($(pair[0]), $(pair[0]).value.trim());
    });
    if ($("ns-url").value.trim()) source.url = $("ns-url").value.trim(); // a printed source has none
    var published = $("ns-published").value;
    if (published) source.published = { date: published, precision: "day" };
    if ($("ns-kind").value) source.kind = $("ns-kind").value;
    if ($("ns-note").value.trim()) source.reliability_note = $("ns-note").value.trim();
    return source;
  }

  function showNewSource() {
    var adding = $("new-source-toggle").checked;
    $("new-source-fields").hidden = !adding;
    $("new-source-pick").hidden = adding;
    $("new-source").required = !adding;
  }
  $("new-source-toggle").addEventListener("change", function () {
    showNewSource();
    if ($("new-source-toggle").checked) $("ns-url").focus();
  });

  stageForm.addEventListener("submit", function (event) {
    event.preventDefault();
    if (inFlight) return;
    clearErrors(stageForm);
    renumber();
    var collected = collectStage();
    if (collected.problems.length) {
      showSummary(stageForm, collected.problems);
      return;
    }
    if (needKey(stageForm)) return;
    var operation = $("new-operation").value;
    requestKey = requestKey || newRequestKey();
    var submit = $("stage-submit");
    inFlight = true;
    submit.disabled = true;
    submit.setAttribute("aria-busy", "true");
    announce(t("sending"));
    call("POST", "/operations/" + encodeURIComponent(operation) + "/stages", {
      body: collected.body,
      headers: { "Idempotency-Key": requestKey },
    }).then(function (answer) {
      inFlight = false;
      submit.disabled = false;
      submit.removeAttribute("aria-busy");
      if (answer.status === 201 && answer.data) {
        showCreated(answer.data, answer.headers.get("Location"), answer.headers.get("Idempotent-Replayed") === "true");
        if (collected.body.new_source) loadLists(); // the new source joins the pickers
        return;
      }
      if (answer.status === 0) {
        showSummary(stageForm, [{ text: t("networkRetry") }]);
        return;
      }
      announce(t("notSaved"));
      showSummary(stageForm, problemsOf(stageForm, answer, "operation"));
    });
  });

  $("stage-clear").addEventListener("click", function () {
    clearErrors(stageForm);
    Array.prototype.forEach.call(stageForm.querySelectorAll(".rows"), function (rows) {
      rows.textContent = "";
    });
    Array.prototype.forEach.call(stageForm.querySelectorAll("input, textarea"), function (control) {
      control.value = "";
    });
    Array.prototype.forEach.call(stageForm.querySelectorAll("select"), function (select) {
      if (select.id !== "new-operation") select.value = "";
    });
    $("new-source-toggle").checked = false;
    showNewSource();
    formChanged();
    announce(t("formEmptied"));
    $("new-number").focus();
  });

  function stageUrl(stage) {
    return API + "/stages/" + stage.id;
  }

  function partyText(participation) {
    var party = participation.party || {};
    var key = party.iso3 || party.slug || (party.kind === "member_states" ? "member-states" : "");
    var name = names.party[key] || names.country[key] || party.name_en || key;
    return name + (participation.party_detail ? " — " + participation.party_detail : "");
  }

  function period(stage) {
    if (!stage.start_on && !stage.end_on) return t("noPeriod");
    return (localDate(stage.start_on) || "…") + " – " + (localDate(stage.end_on) || "…");
  }

  /** An ISO date as the page's readers write it: day first in Russian (10.05.2021). */
  function localDate(iso) {
    if (!iso || LANG !== "ru") return iso;
    var parts = iso.split("-");
    return parts.length === 3 ? parts[2] + "." + parts[1] + "." + parts[0] : iso;
  }

  /** A definition list of a stage as the API gave it (text only: nothing is parsed as HTML). */
  function stageFacts(stage) {
    var facts = el("dl", { class: "facts" });
    function fact(term, value) {
      if (value === null || value === undefined || value === "") return;
      facts.appendChild(el("dt", { text: term }));
      facts.appendChild(el("dd", {}, [value]));
    }
    fact(t("factOperation"), names.operation[stage.operation] || stage.operation);
    fact(t("factNumber"), stage.number === null || stage.number === undefined ? "" : String(stage.number));
    fact(t("factNames"), [stage.name_ru, stage.name_en].filter(Boolean).join(" / "));
    var hq = stage.headquarters;
    if (hq) {
      var city = LANG === "ru" ? hq.city_ru || hq.city_en : hq.city_en || hq.city_ru;
      fact(t("factHeadquarters"), [city, hq.country ? names.country[hq.country] || hq.country : ""].filter(Boolean).join(", "));
    }
    fact(t("factPeriod"), period(stage));
    fact(t("factLead"), stage.lead_country ? names.country[stage.lead_country] || stage.lead_country : "");
    fact(t("factSource"), stage.source ? stage.source.slug + ", " + stage.source.locator : "");
    function parties(list) {
      if (!list || !list.length) return "";
      return el("ul", {}, list.map(function (p) { return el("li", { text: partyText(p) }); }));
    }
    fact(t("factParticipants"), parties(stage.participants));
    fact(t("factObservers"), parties(stage.observers));
    var seizures = stage.seizures || [];
    if (seizures.length) {
      var top = seizures.filter(function (s) { return (s.parent_id === null || s.parent_id === undefined) && !s.alternative_to; });
      var ul = el("ul", { class: "seizures" });
      top.forEach(function (s) {
        var item = el("li", { text: seizureText(s) });
        var parts = seizures.filter(function (p) { return p.parent_id === s.id; });
        var versions = seizures.filter(function (v) { return v.alternative_to === s.id; });
        var lines = parts.map(function (p) { return el("li", { text: t("including") + " " + seizureText(p) }); });
        lines = lines.concat(versions.map(function (v) { return el("li", { text: t("versionOf", { text: v.as_reported }) }); }));
        if (lines.length) item.appendChild(el("ul", {}, lines));
        ul.appendChild(item);
      });
      fact(t("factSeizures"), ul);
    }
    var results = stage.results || [];
    if (results.length) {
      fact(t("factResults"), el("ul", {}, results.map(function (r) {
        var item = el("li", { text: metricName(r.metric) + ": " + r.as_reported });
        if (r.alternatives && r.alternatives.length) {
          item.appendChild(el("ul", {}, r.alternatives.map(function (a) {
            return el("li", { text: t("versionOf", { text: a.as_reported }) });
          })));
        }
        return item;
      })));
    }
    return facts;
  }

  function metricName(metric) {
    var found = $("tpl-result").content.querySelector("option[value='" + metric + "']");
    return found ? found.textContent : metric;
  }

  /** How a stage is named in a message: its number, else its name, else "with no number". */
  function stageNumber(stage) {
    if (stage.number !== null && stage.number !== undefined) return String(stage.number);
    var name = LANG === "ru" ? stage.name_ru || stage.name_en : stage.name_en || stage.name_ru;
    return name ? "«" + name + "»" : t("unnumbered");
  }

  function seizureText(report) {
    var substance = report.substance ? (LANG === "ru" ? report.substance.name_ru : report.substance.name_en) || report.substance.slug : "";
    var text = substance + ": " + report.as_reported;
    if (report.country) text += ", " + (names.country[report.country.iso3] || report.country.name_en);
    if (report.cases !== null && report.cases !== undefined) text += ", " + t("casesCount", { n: report.cases });
    return text;
  }

  var lastCreated = null;
  function showCreated(stage, location, replayed) {
    lastCreated = stage;
    var section = $("created");
    var operationName = names.operation[stage.operation] || stage.operation;
    $("created-heading").textContent = t("createdTitle", { number: stageNumber(stage), operation: operationName, id: stage.id });
    $("created-replayed").hidden = !replayed;
    var body = $("created-body");
    body.textContent = "";
    body.appendChild(stageFacts(stage));
    $("created-link").href = location || stageUrl(stage);
    $("created-page").href = "/stages/" + stage.id + "?lang=" + LANG;
    section.hidden = false;
    announce(t(replayed ? "createdAgain" : "created", { number: stageNumber(stage), operation: operationName }));
    section.focus();
  }

  $("created-edit").addEventListener("click", function () {
    if (!lastCreated) return;
    $("load-id").value = String(lastCreated.id);
    loadStage(lastCreated.id, false);
  });

  // -- corrections -----------------------------------------------------------------------

  var editForm = $("edit-form");
  var editing = null; // {id, etag, values: the stage's own fields as last loaded, stage}
  var FIELDS = ["number", "name_ru", "name_en", "lead_country", "hq_city_ru", "hq_city_en", "hq_country", "place", "description", "start_on", "end_on", "source", "locator"];
  var NULLABLE = { number: true, name_ru: true, name_en: true, lead_country: true, place: true, description: true, start_on: true, end_on: true };
  var HEADQUARTERS = { hq_city_ru: "city_ru", hq_city_en: "city_en", hq_country: "country" }; // sent as one object

  function editControl(field) {
    return editForm.querySelector("[data-field='" + field + "']");
  }

  function valuesOf(stage) {
    var hq = stage.headquarters || {};
    return {
      number: stage.number === null || stage.number === undefined ? "" : String(stage.number),
      name_ru: stage.name_ru || "",
      name_en: stage.name_en || "",
      lead_country: stage.lead_country || "",
      hq_city_ru: hq.city_ru || "",
      hq_city_en: hq.city_en || "",
      hq_country: hq.country || "",
      place: stage.place || "",
      description: stage.description || "",
      start_on: stage.start_on || "",
      end_on: stage.end_on || "",
      source: stage.source ? stage.source.slug : "",
      locator: stage.source ? stage.source.locator : "",
    };
  }

  function formValues() {
    var values = {};
    FIELDS.forEach(function (field) {
      values[field] = editControl(field).value.trim();
    });
    return values;
  }

  function fillEdit(stage) {
    var values = valuesOf(stage);
    FIELDS.forEach(function (field) {
      var control = editControl(field);
      if (control.tagName === "SELECT") setSelect(control, values[field]);
      else control.value = values[field];
    });
    var operationName = names.operation[stage.operation] || stage.operation;
    $("edit-heading").textContent = t("editTitle", { number: stageNumber(stage), operation: operationName, id: stage.id });
    var details = $("edit-details");
    details.textContent = "";
    details.appendChild(stageFacts(stage));
  }

  function loadStage(id, keepEdits) {
    var before = keepEdits && editing ? formValues() : null;
    var loadedBefore = keepEdits && editing ? editing.values : null;
    $("load-submit").disabled = true;
    return call("GET", "/stages/" + encodeURIComponent(id)).then(function (answer) {
      $("load-submit").disabled = false;
      clearErrors($("load-form"));
      if (answer.status !== 200 || !answer.data) {
        var problems = answer.status === 404 ? [{ text: t("stageNotFound"), target: $("load-id") }] : problemsOf($("load-form"), answer, "stage");
        problems.forEach(function (p) {
          markField(p.target && $("load-form").contains(p.target) ? p.target : $("load-id"), p.text);
        });
        $("load-id").focus();
        announce(problems[0].text);
        return;
      }
      var stage = answer.data;
      editing = { id: stage.id, etag: answer.headers.get("ETag"), values: valuesOf(stage), stage: stage };
      clearErrors(editForm);
      $("stale").hidden = true;
      $("delete-confirm").hidden = true;
      fillEdit(stage);
      editForm.hidden = false;
      showYourEdits(before, loadedBefore);
      announce(t("loaded", { number: stageNumber(stage), id: stage.id }));
      $("edit-heading").focus();
    });
  }

  /** After a reload: the user's unsaved edits next to what is saved now. */
  function showYourEdits(yours, loadedBefore) {
    var box = $("your-edits");
    var tbody = box.querySelector("tbody");
    tbody.textContent = "";
    if (!yours || !loadedBefore) {
      box.hidden = true;
      return;
    }
    var changed = FIELDS.filter(function (field) {
      return yours[field] !== loadedBefore[field];
    });
    changed.forEach(function (field) {
      var label = document.querySelector("label[for='" + editControl(field).id + "']").textContent.trim();
      var now = editing.values[field];
      tbody.appendChild(el("tr", {}, [
        el("th", { scope: "row", text: label }),
        el("td", { text: yours[field] === "" ? t("empty") : yours[field] }),
        el("td", { text: now === "" ? t("empty") : now }),
      ]));
    });
    box.hidden = changed.length === 0;
  }

  $("load-form").addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors($("load-form"));
    var id = $("load-id").value.trim();
    if (!/^\d+$/.test(id)) {
      markField($("load-id"), t("idRequired"));
      $("load-id").focus();
      return;
    }
    loadStage(id, false);
  });

  $("stale-reload").addEventListener("click", function () {
    if (editing) loadStage(editing.id, true);
  });

  function showStale() {
    var stale = $("stale");
    stale.hidden = false;
    announce(t("staleShort"));
    $("stale-reload").focus();
  }

  function editProblems(answer) {
    if (answer.status === 412) {
      showStale();
      return;
    }
    if (answer.status === 404) {
      showSummary(editForm, [{ text: t("stageGone") }]);
      return;
    }
    announce(t("notSaved"));
    showSummary(editForm, problemsOf(editForm, answer, "stage"));
  }

  /** The headquarters as the form holds them: one object (the API replaces it whole), or
   * null when every field is empty. */
  function headquartersOf(values) {
    var hq = {};
    Object.keys(HEADQUARTERS).forEach(function (field) {
      if (values[field] !== "") hq[HEADQUARTERS[field]] = values[field];
    });
    return Object.keys(hq).length ? hq : null;
  }

  var editBusy = false;
  editForm.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!editing || editBusy) return;
    clearErrors(editForm);
    $("stale").hidden = true;
    var now = formValues();
    var patch = {};
    var problems = [];
    FIELDS.forEach(function (field) {
      if (now[field] === editing.values[field]) return;
      if (HEADQUARTERS[field]) {
        patch.headquarters = headquartersOf(now);
        return;
      }
      if (now[field] === "") {
        if (NULLABLE[field]) patch[field] = null;
        else problems.push({ text: t("required"), target: editControl(field) });
        return;
      }
      patch[field] = field === "number" ? wholeNumber(now[field]) : now[field];
    });
    if (now.start_on && now.end_on && now.end_on < now.start_on) {
      problems.push({ text: t("endBeforeStart"), target: editControl("end_on") });
    }
    if (problems.length) {
      showSummary(editForm, problems);
      return;
    }
    if (!Object.keys(patch).length) {
      announce(t("nothingChanged"));
      return;
    }
    if (needKey(editForm)) return;
    editBusy = true;
    $("edit-save").disabled = true;
    announce(t("sending"));
    call("PATCH", "/stages/" + editing.id, { body: patch, headers: { "If-Match": editing.etag || "" } }).then(function (answer) {
      editBusy = false;
      $("edit-save").disabled = false;
      if (answer.status === 200 && answer.data) {
        editing = { id: answer.data.id, etag: answer.headers.get("ETag"), values: valuesOf(answer.data), stage: answer.data };
        fillEdit(answer.data);
        $("your-edits").hidden = true;
        announce(t("saved", { number: stageNumber(answer.data) }));
        return;
      }
      editProblems(answer);
    });
  });

  $("edit-delete").addEventListener("click", function () {
    if (!editing) return;
    var stage = editing.stage;
    $("delete-question").textContent = t("deleteQuestion", {
      number: stageNumber(stage),
      operation: names.operation[stage.operation] || stage.operation,
      parties: (stage.participants || []).length + (stage.observers || []).length,
      seizures: (stage.seizures || []).length,
    });
    $("delete-confirm").hidden = false;
    $("delete-no").focus();
  });

  $("delete-no").addEventListener("click", function () {
    $("delete-confirm").hidden = true;
    $("edit-delete").focus();
  });

  $("delete-yes").addEventListener("click", function () {
    if (!editing || editBusy) return;
    clearErrors(editForm);
    if (needKey(editForm)) return;
    editBusy = true;
    $("delete-yes").disabled = true;
    var stage = editing.stage;
    call("DELETE", "/stages/" + editing.id, { headers: { "If-Match": editing.etag || "" } }).then(function (answer) {
      editBusy = false;
      $("delete-yes").disabled = false;
      $("delete-confirm").hidden = true;
      if (answer.status === 204) {
        editing = null;
        editForm.hidden = true;
        announce(t("deleted", { number: stageNumber(stage), operation: names.operation[stage.operation] || stage.operation }));
        $("load-id").focus();
        return;
      }
      editProblems(answer);
    });
  });

  // -- readers' error reports -----------------------------------------------------------
  // Pending reports, each with a note and accept / reject (POST /error-reports/{id}/...).
  // Built here, not from a template: every control gets its own id and label.

  function reportsState(text) {
    $("reports-state").textContent = text;
  }

  function reportFact(list, label, value, href) {
    if (value === null || value === undefined || value === "") return;
    list.appendChild(el("dt", { text: label }));
    // Only a path of this site is a link; the API keeps no other address in `page`.
    var safe = href && href.charAt(0) === "/" && href.charAt(1) !== "/";
    list.appendChild(el("dd", {}, [safe ? el("a", { href: value, text: value }) : String(value)]));
  }

  function reportCard(report) {
    var id = "report-" + report.id;
    var card = el("article", { class: "report", id: id, "aria-labelledby": id + "-title" });
    card.appendChild(el("h3", { id: id + "-title", text: t("reportTitle", { id: report.id, date: report.created_at.slice(0, 10) }) }));
    var facts = el("dl");
    reportFact(facts, t("reportPage"), report.page, report.page);
    reportFact(facts, t("reportWrong"), report.what_is_wrong);
    reportFact(facts, t("reportSourceSays"), report.source_says);
    reportFact(facts, t("reportSourceUrl"), report.source_url);
    reportFact(facts, t("reportContact"), report.contact);
    card.appendChild(facts);
    var note = el("textarea", { id: id + "-note", rows: "2" });
    var correction = el("input", { id: id + "-correction", inputmode: "numeric", autocomplete: "off" });
    var status = el("p", { class: "status", role: "status", "aria-live": "polite" });
    var accept = el("button", { type: "button", text: t("reportAccept") });
    var reject = el("button", { type: "button", class: "secondary", text: t("reportReject") });
    card.appendChild(el("div", { class: "field" }, [el("label", { for: note.id, text: t("reportNote") }), note]));
    card.appendChild(el("div", { class: "field" }, [el("label", { for: correction.id, text: t("reportCorrection") }), correction]));
    card.appendChild(el("p", { class: "actions" }, [accept, " ", reject, status]));
    function review(action) {
      if (storedKey() === "") {
        status.textContent = t("keyMissing");
        return;
      }
      var body = { note: note.value.trim() };
      var audit = correction.value.trim();
      if (action === "accept" && audit !== "") body.correction_audit_id = /^[0-9]+$/.test(audit) ? Number(audit) : audit;
      status.textContent = t("sending");
      call("POST", "/error-reports/" + report.id + "/" + action, { body: body }).then(function (answer) {
        if (answer.status === 200) {
          status.textContent = action === "accept" ? t("reportAccepted") : t("reportRejected");
          accept.disabled = reject.disabled = note.disabled = correction.disabled = true;
          announce(status.textContent);
        } else if (answer.status === 409) {
          status.textContent = t("reportTaken");
        } else if (answer.status === 401) {
          status.textContent = t("keyRefused");
        } else if (answer.status === 403) {
          status.textContent = t("keyCannotWrite");
        } else if (answer.status === 422 && answer.data && answer.data.errors && answer.data.errors.length) {
          status.textContent = t("notAccepted", { message: answer.data.errors.map(function (e) { return e.message; }).join("; ") });
        } else {
          status.textContent = answer.status === 0 ? t("network") : t("failed", { status: answer.status });
        }
      });
    }
    accept.addEventListener("click", function () { review("accept"); });
    reject.addEventListener("click", function () { review("reject"); });
    return card;
  }

  $("reports-load").addEventListener("click", function () {
    if (storedKey() === "") {
      reportsState(t("keyMissing"));
      $("api-key").focus();
      return;
    }
    reportsState(t("reportsLoading"));
    every("/error-reports?status=pending").then(
      function (reports) {
        var box = $("reports-list");
        box.textContent = "";
        reports.forEach(function (report) {
          box.appendChild(reportCard(report));
        });
        reportsState(reports.length ? t("reportsWaiting", { n: reports.length }) : t("reportsNone"));
      },
      function (answer) {
        var status = answer && answer.status;
        reportsState(status === 401 ? t("keyRefused") : status === 403 ? t("keyCannotWrite") : t("reportsFailed", { status: status || 0 }));
      }
    );
  });

  // -- start ---------------------------------------------------------------------------

  wireFields(document);
  renumber();
  showKeyState();
  loadLists();
})();
