module example.com/surface

go 1.26.0

require (
	github.com/clerk/clerk-sdk-go/v2 v2.4.2
	github.com/go-jose/go-jose/v4 v4.1.9
	github.com/joho/godotenv v1.5.1
	github.com/modelcontextprotocol/go-sdk v1.8.0
	golang.org/x/sync v0.25.0
	golang.org/x/time v0.15.0
	github.com/yosida95/uritemplate/v3 v3.0.2
)
