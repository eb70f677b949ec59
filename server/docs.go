package server

import (
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
	swaggerfiles "github.com/swaggo/files/v2"

	jmk "github.com/jmksales/jmk"
)

// docsPage is our own Swagger UI page; the UI's script and style come from
// the swaggo/files module, embedded in the binary (no CDN at run time).
const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>JMK Sales API</title>
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`

// docsInit starts Swagger UI. validatorUrl is off: Swagger UI's layouts with
// an online-validator badge load it from validator.swagger.io on any host but
// localhost, which the CSP refuses and which would tell that site where the
// docs live. The base layout used here shows no badge; this keeps it so.
const docsInit = `window.ui = SwaggerUIBundle({
  url: "/openapi.yaml",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
  validatorUrl: null
});
`

// docsAssets are the only files of the Swagger UI distribution served.
var docsAssets = map[string]string{
	"swagger-ui.css":       "text/css; charset=utf-8",
	"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
	"favicon-32x32.png":    "image/png",
}

func registerDocs(e headRouter) error {
	e.GET("/openapi.yaml", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/yaml", jmk.OpenAPIYAML)
	})
	docsHeaders := func(c echo.Context) {
		c.Response().Header().Set("Content-Security-Policy",
			"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")
		c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	}
	e.GET("/docs", func(c echo.Context) error {
		docsHeaders(c)
		return c.HTML(http.StatusOK, docsPage)
	})
	// The usual spellings of the page's address lead to it.
	for _, alias := range []string{"/docs/", "/docs/index.html"} {
		e.GET(alias, func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, "/docs") })
	}
	e.GET("/docs/init.js", func(c echo.Context) error {
		docsHeaders(c)
		return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", []byte(docsInit))
	})
	for name, ctype := range docsAssets {
		body, err := fs.ReadFile(swaggerfiles.FS, name)
		if err != nil {
			return err
		}
		e.GET("/docs/"+name, func(c echo.Context) error {
			docsHeaders(c)
			return c.Blob(http.StatusOK, ctype, body)
		})
	}
	return nil
}
