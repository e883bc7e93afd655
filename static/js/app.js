// Keyboard shortcuts and small progressive enhancements. The app works without this file.
"use strict";

(function () {
  // --- Screening page: keyboard shortcuts ------------------------------------------------
  // Every listener is on document (event delegation), so nothing needs binding again when
  // htmx swaps in the next record. Each key only clicks a button or link that is on the page,
  // so a key does exactly what the mouse does, and without htmx the clicks are plain form
  // posts and links.

  const NOT_TEXT = new Set(["checkbox", "radio", "button", "submit", "reset", "image"]);
  const SHORTCUTS = new Set([
    "i", "m", "e", "n", "u", "j", "k", "1", "2", "3", "4", "5", "6", "7", "8", "9",
    "Enter", "Escape", "ArrowLeft", "ArrowRight",
  ]);

  function isTyping(target) {
    if (!target || !target.tagName) return false;
    if (target.isContentEditable) return true;
    const tag = target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    return tag === "INPUT" && !NOT_TEXT.has((target.type || "text").toLowerCase());
  }

  function screenRoot() {
    return document.getElementById("screen");
  }

  function verdictButton(form, verdict) {
    return form.querySelector('button[name="verdict"][value="' + verdict + '"]');
  }

  function arm(form, verdict) {
    form.dataset.armed = verdict || "";
    form.querySelectorAll("button[data-verdict]").forEach(function (button) {
      button.classList.toggle("armed", button.dataset.verdict === verdict);
    });
  }

  function decide(form, verdict) {
    const button = verdictButton(form, verdict);
    if (button) button.click();
  }

  function follow(root, which) {
    const link = root.querySelector('a[data-nav="' + which + '"]');
    if (link) link.click();
  }

  function showShortcuts() {
    const dialog = document.getElementById("shortcuts");
    if (dialog && !dialog.open && typeof dialog.showModal === "function") dialog.showModal();
  }

  // While the record is being replaced (from the request until htmx has set up the new
  // one), keys wait and then apply to the record that comes: typing "i i" decides two
  // records, not the same one twice.
  let replacing = false;
  let waiting = [];

  function isScreenSwap(event) {
    const target = event.detail && event.detail.target;
    return Boolean(target && target.id === "screen");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (isScreenSwap(event)) replacing = true;
    const box = document.getElementById("screen-alert");
    if (box) box.hidden = true;
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    // A request that fails swaps nothing: forget the keys that were waiting for it.
    if (isScreenSwap(event) && !event.detail.successful) {
      replacing = false;
      waiting = [];
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (!isScreenSwap(event) || !replacing) return;
    replacing = false;
    const keys = waiting;
    waiting = [];
    keys.forEach(function (key) {
      if (!replacing) runKey(key, document.body);
      else waiting.push(key);
    });
  });

  // Returns true when the key did something.
  function runKey(key, target) {
    const root = screenRoot();
    if (!root) return false;
    if (key === "?") {
      showShortcuts();
      return true;
    }
    const form = root.querySelector("#decide-form");
    switch (key) {
      case "i":
        if (!form) return false;
        decide(form, "include");
        return true;
      case "m":
        // No Maybe button where a verdict is final (resolving a conflict): the key is inert.
        if (!form || !verdictButton(form, "maybe")) return false;
        decide(form, "maybe");
        return true;
      case "e": {
        if (!form) return false;
        arm(form, "exclude");
        const reasons = form.querySelector("#reasons");
        if (reasons) {
          reasons.focus({ preventScroll: true });
          reasons.scrollIntoView({ block: "nearest" });
        }
        return true;
      }
      case "1": case "2": case "3": case "4": case "5": case "6": case "7": case "8": case "9": {
        const box = form && form.querySelector('input[data-reason-key="' + key + '"]');
        if (!box) return false;
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change", { bubbles: true }));
        return true;
      }
      case "Enter": {
        // On a focused button or link, Enter keeps its own meaning.
        if (!form || (target.closest && target.closest("button, a, summary"))) return false;
        const anyReason = form.querySelector('input[name="reason"]:checked');
        const verdict = form.dataset.armed || (anyReason ? "exclude" : "");
        if (!verdict) return false;
        decide(form, verdict);
        return true;
      }
      case "Escape":
        if (form) arm(form, "");
        return false;
      case "n": {
        const note = form && form.querySelector("#note");
        if (!note) return false;
        note.focus();
        return true;
      }
      case "u": {
        const undo = root.querySelector("#undo-button");
        if (!undo) return false;
        undo.click();
        return true;
      }
      case "j":
      case "ArrowRight":
        follow(root, "next");
        return true;
      case "k":
      case "ArrowLeft":
        follow(root, "prev");
        return true;
      default:
        return false;
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (isTyping(target)) {
      if (event.key === "Escape") target.blur(); // leave the note: keys work again
      return;
    }
    const dialog = document.getElementById("shortcuts");
    if (dialog && dialog.open) return; // Escape closes it natively
    if (!screenRoot()) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (replacing && SHORTCUTS.has(key)) {
      if (key === "Enter" && target.closest && target.closest("button, a, summary")) return;
      waiting.push(key);
      event.preventDefault();
      return;
    }
    if (runKey(key, target)) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    const opener = event.target.closest && event.target.closest("[data-shortcuts-open]");
    if (opener) showShortcuts();
  });

  // htmx 2 does not swap 4xx answers: show their message (plain text) instead.
  document.addEventListener("htmx:responseError", function (event) {
    const box = document.getElementById("screen-alert");
    if (!box) return;
    const xhr = event.detail.xhr;
    box.textContent = (xhr && xhr.responseText) || "Something went wrong; nothing was saved.";
    box.hidden = false;
  });

  // The element focused in the record being replaced (the reasons after an exclude) goes with
  // it: blur it first, or htmx would focus the new record's element of the same id and
  // screen readers would not announce the new record.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!isScreenSwap(event)) return;
    const root = screenRoot();
    const active = document.activeElement;
    if (root && active && active !== document.body && root.contains(active)) active.blur();
  });

  // After a new record swaps in, the focused element is gone: move focus to the record's
  // title (or, when the form came back with an error, to the reasons) so screen readers
  // announce it. Never taken from an element the user focused meanwhile.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!isScreenSwap(event)) return;
    // The page-level messages belong to the record that was shown when the page loaded.
    const messages = document.getElementById("messages");
    if (messages) messages.replaceChildren();
    const root = screenRoot();
    const active = document.activeElement;
    if (!root || (active && active !== document.body && active.isConnected)) return;
    const focus = root.querySelector("#decide-error")
      ? root.querySelector("#reasons")
      : root.querySelector("#record-title, #screen-done h1");
    if (focus) focus.focus({ preventScroll: true });
  });
})();
