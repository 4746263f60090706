// Security keys and passkeys (WebAuthn): the browser's half of the ceremony.
//
// A form opts in with data-webauthn="register" | "authenticate" | "login" and holds:
//   - a button with data-webauthn-start (type="button": it does nothing without this file);
//   - a hidden input name="credential", which receives PublicKeyCredential.toJSON();
//   - data-webauthn-options: the id of a <script type="application/json"> (Django's
//     json_script) holding {"creation_options": ...} or {"request_options": ...}; or
//     data-webauthn-options-url: a URL that answers a GET with that JSON (the login page
//     fetches a challenge only when the button is pressed);
//   - data-webauthn-status: the id of an aria-live element whose data-text-* attributes hold
//     the translated messages shown here;
//   - for "register", an optional checkbox name="passkey", sent with the options request
//     (?passkey=1): the server asks for a passkey's options and checks it got one.
// No inline script anywhere: the Content-Security-Policy is script-src 'self'.
"use strict";
(() => {
  // -- base64url, for browsers without PublicKeyCredential.parse*FromJSON / toJSON ----------
  const fromB64url = (text) => {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = b64 + "===".slice((b64.length + 3) % 4);
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  };
  const toB64url = (buffer) => {
    if (!buffer) return buffer;
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const withBinaryIds = (list) => (list || []).map((c) => ({ ...c, id: fromB64url(c.id) }));

  const creationOptions = (json) => {
    if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function") {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    return {
      ...json,
      challenge: fromB64url(json.challenge),
      user: { ...json.user, id: fromB64url(json.user.id) },
      excludeCredentials: withBinaryIds(json.excludeCredentials),
    };
  };
  const requestOptions = (json) => {
    if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function") {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    return { ...json, challenge: fromB64url(json.challenge),
             allowCredentials: withBinaryIds(json.allowCredentials) };
  };
  const credentialJSON = (credential) => {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    const r = credential.response;
    const response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      if (typeof r.getTransports === "function") response.transports = r.getTransports();
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      if (r.userHandle) response.userHandle = toB64url(r.userHandle);
    }
    return {
      id: credential.id, rawId: toB64url(credential.rawId), type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response,
    };
  };

  // The server may send the options wrapped ({"publicKey": {...}}), as fido2 builds them.
  const unwrap = (options) => (options && options.publicKey) || options;

  const networkError = () => Object.assign(new Error("network"), { name: "NetworkError" });

  const loadOptions = async (form) => {
    if (form.dataset.webauthnOptions) {
      return JSON.parse(document.getElementById(form.dataset.webauthnOptions).textContent);
    }
    const url = new URL(form.dataset.webauthnOptionsUrl, window.location.href);
    const passkey = form.querySelector('input[name="passkey"]');
    // A passkey is registered with other options (discoverable, user verified), and the
    // server's challenge remembers which were asked for.
    if (passkey) url.searchParams.set("passkey", passkey.checked ? "1" : "0");
    let response;
    try {
      response = await fetch(url, { headers: { Accept: "application/json" },
                                    credentials: "same-origin" });
    } catch (error) {
      throw networkError();
    }
    const type = response.headers.get("Content-Type") || "";
    if (response.ok && !type.startsWith("application/json")) {
      // Sent elsewhere (the password must be entered again, or the session ended):
      // reload, and the server takes the page there with a way back.
      window.location.reload();
      throw Object.assign(new Error("redirected"), { name: "Redirected" });
    }
    if (!response.ok) throw networkError();
    return response.json();
  };

  const say = (status, key, detail) => {
    if (!status) return;
    const text = status.dataset["text" + key[0].toUpperCase() + key.slice(1)] || "";
    status.textContent = detail ? text + " (" + detail + ")" : text;
  };

  const explain = (status, error, kind) => {
    switch (error && error.name) {
      case "NotAllowedError":
      case "AbortError":
        return say(status, "cancelled");
      case "InvalidStateError":
        return kind === "register" ? say(status, "exists") : say(status, "failed", error.name);
      case "SecurityError":
        return say(status, "insecure");
      case "NotSupportedError":
        return say(status, "unsupported");
      case "NetworkError":
        return say(status, "network");
      default:
        return say(status, "failed", error && error.name);
    }
  };

  const run = async (form, button) => {
    const kind = form.dataset.webauthn;
    const status = document.getElementById(form.dataset.webauthnStatus);
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say(status, "unsupported");
      return;
    }
    button.disabled = true;
    say(status, "working");
    try {
      const options = await loadOptions(form);
      let credential;
      if (kind === "register") {
        const publicKey = creationOptions(unwrap(options.creation_options));
        credential = await navigator.credentials.create({ publicKey });
      } else {
        const publicKey = requestOptions(unwrap(options.request_options));
        credential = await navigator.credentials.get({ publicKey });
      }
      if (!credential) throw Object.assign(new Error("no credential"), { name: "NotAllowedError" });
      form.querySelector('input[name="credential"]').value = JSON.stringify(credentialJSON(credential));
      form.submit();
    } catch (error) {
      if (error && error.name === "Redirected") return;
      button.disabled = false;
      explain(status, error, kind);
    }
  };

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-webauthn-start]");
    if (!button) return;
    const form = button.closest("form[data-webauthn]");
    if (!form) return;
    event.preventDefault();
    run(form, button);
  });
})();
