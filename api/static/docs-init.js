// Starts Swagger UI on the API's own OpenAPI document (no inline script, no CDN).
window.addEventListener("load", function () {
  var spec = document.currentScript ? document.currentScript.dataset.specUrl : null;
  var tag = document.querySelector("script[data-spec-url]");
  window.ui = SwaggerUIBundle({
    url: spec || (tag && tag.dataset.specUrl) || "/api/v1/openapi.json",
    dom_id: "#swagger-ui-container",
    persistAuthorization: true,
    validatorUrl: null  // never call the public validator from an intranet
  });
});
