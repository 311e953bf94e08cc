// A "Copy" button for a secret shown once: <button data-copy="#input-id">; it says "Copied" when done.
(function () {
  "use strict";

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    event.preventDefault();
    const source = document.querySelector(button.dataset.copy);
    source.select();
    // The selection is copied at once, on any origin; the clipboard API (which may wait on the browser's
    // permission) only where that is refused.
    let copied = document.execCommand("copy");
    if (!copied && navigator.clipboard) {
      copied = await navigator.clipboard.writeText(source.value).then(() => true, () => false);
    }
    button.textContent = copied ? "Copied" : "Selected: press Ctrl+C";
    button.dataset.copied = String(copied);
  });
})();
