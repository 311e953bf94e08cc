// Command forms: ask before what ends live sessions, and show that a sent command is waiting for its answer.
(function () {
  "use strict";

  // The form's data-confirm: always ask. data-confirm-field/-values/-message: ask when that input has one of the values.
  function question(form) {
    const field = form.dataset.confirmField && form.elements[form.dataset.confirmField];
    if (field && form.dataset.confirmValues.split(" ").includes(field.value)) return form.dataset.confirmMessage;
    return form.dataset.confirm || "";
  }

  function waiting(form, submitter) {
    form.setAttribute("aria-busy", "true");
    for (const button of document.querySelectorAll(`[form="${form.id}"], #${CSS.escape(form.id)} [type=submit]`)) {
      button.disabled = true;
    }
    const sign = document.createElement("span");
    sign.className = "cs-progress";
    sign.setAttribute("role", "status");
    sign.textContent = "Sent; waiting for the charger's answer…";
    (submitter || form).insertAdjacentElement("afterend", sign);
  }

  function start() {
    for (const form of document.querySelectorAll("form.cs-sends")) {
      form.addEventListener("submit", (event) => {
        if (form.getAttribute("aria-busy") === "true") {
          event.preventDefault();  // sent once already
          return;
        }
        const ask = question(form);
        if (ask && !window.confirm(ask)) {
          event.preventDefault();
          return;
        }
        waiting(form, event.submitter);
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
