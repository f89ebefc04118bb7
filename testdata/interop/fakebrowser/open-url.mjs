// A browser for headless OAuth tests: it loads the URL and follows the
// redirects, as a user who is signed in and consents at once would; the
// last redirect reaches the client's loopback callback with the code.
const url = process.argv.at(-1);
const res = await fetch(url, { redirect: 'follow' });
await res.text();
