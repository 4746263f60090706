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

// Times on pages are shown in this browser's time zone (see TimeZoneMiddleware).
(() => {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone || document.cookie.split("; ").includes("warden_tz=" + encodeURIComponent(zone))) return;
  document.cookie = "warden_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
})();
