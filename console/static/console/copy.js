// A "Copy" button for a secret shown once: <button data-copy="#input-id">; it says "Copied" when done.
(function () {
  "use strict";

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    event.preventDefault();
    const source = document.querySelector(button.dataset.copy);
    source.select();
    try {
      await navigator.clipboard.writeText(source.value);
    } catch (error) {
      document.execCommand("copy"); // an insecure origin (plain http) has no clipboard API
    }
    button.textContent = "Copied";
    button.dataset.copied = "true";
  });
})();
