package mcpserver

// Operations lists the scopes each tool, prompt and resource needs (from clerk-mcp.yaml).
type Operations struct{ Tools, Prompts, Resources map[string][]string }
