/* Starts Swagger UI on the API docs (/docs, app/http/docs.py) with FastAPI's options. A file,
 * not an inline script: the docs' Content-Security-Policy runs the server's files and nothing
 * inline, so that no script injected into a page could run. */
(function () {
  "use strict";

  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
