// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const target = document.getElementById(button.dataset.copyTarget);
  if (!target || !navigator.clipboard) return;
  await navigator.clipboard.writeText(target.textContent.trim());
  const status = document.getElementById(button.dataset.copyStatus);
  if (status) status.textContent = button.dataset.copiedText || "Copied";
});
