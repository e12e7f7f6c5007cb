// The README's shell examples, parsed and run as a shell would run them against a test system: `npm run token` mints tokens as the README does, `curl` becomes fetch, `sed -E 's/…/…/'` a regular expression.

/** One ```sh block of the README that runs curl. */
export interface ShellExample {
  /** The heading the block stands under. */
  section: string;
  script: string;
}

/** Every ```sh block of `readme` that calls curl, with the heading it stands under. */
export function curlExamples(readme: string): ShellExample[] {
  const examples: ShellExample[] = [];
  let section = "";
  const lines = readme.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    if (line.startsWith("#")) section = line.replace(/^#+\s*/, "");
    if (line.trim() !== "```sh") continue;
    const body: string[] = [];
    for (index++; index < lines.length && lines[index].trim() !== "```"; index++) body.push(lines[index]);
    const script = body.join("\n");
    if (/\bcurl\b/.test(script)) examples.push({ section, script });
  }
  return examples;
}

/** What the example's commands may do: mint a token (`npm run -s token -- args`) and send HTTP requests. */
export interface ShellHost {
  token(args: readonly string[]): Promise<string>;
  /** The base URL the README's `http://localhost:4000` stands for. */
  gatewayOrigin: string;
}

/** The responses of an example's curl commands, in order (a curl inside `$(...)` included). */
export interface ShellRun {
  responses: string[];
  variables: ReadonlyMap<string, string>;
}

/** Runs `script` line by line: `NAME=value` assignments and curl commands, with quotes, `$VAR`, `$(...)` and pipes. */
export async function runShellExample(script: string, host: ShellHost): Promise<ShellRun> {
  const variables = new Map<string, string>();
  const responses: string[] = [];
  const shell = new MiniShell(host, variables, responses);
  for (const line of splitOutsideQuotes(script.replace(/\\\n\s*/g, " "), "\n")) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    const assignment = /^([A-Z_][A-Z0-9_]*)=(.*)$/s.exec(trimmed);
    if (assignment !== null) {
      const words = await shell.words(assignment[2]);
      variables.set(assignment[1], words.join(" "));
    } else if (/^curl\s/.test(trimmed)) {
      await shell.pipeline(trimmed, "");
    }
    // Other commands in a block (e.g. `npm run export:hsds`) are not queries of the API; other tests cover them.
  }
  return { responses, variables };
}

class MiniShell {
  constructor(
    private readonly host: ShellHost,
    private readonly variables: Map<string, string>,
    private readonly responses: string[],
  ) {}

  /** Runs `a | b | c` with `input` on the first command's standard input; resolves with the last one's output. */
  async pipeline(text: string, input: string): Promise<string> {
    let output = input;
    for (const command of splitOutsideQuotes(text, "|")) output = await this.command(await this.words(command), output);
    return output;
  }

  private async command(words: string[], input: string): Promise<string> {
    const [name, ...args] = words;
    if (name === "npm" && args.slice(0, 4).join(" ") === "run -s token --") return `${await this.host.token(args.slice(4))}\n`;
    if (name === "curl") return this.curl(args);
    if (name === "sed" && args[0] === "-E" && args.length === 2) return sed(args[1], input);
    throw new Error(`the README example runs a command this test does not know: ${words.join(" ")}`);
  }

  private async curl(args: string[]): Promise<string> {
    const headers: Record<string, string> = {};
    let url: string | undefined;
    let data: string | undefined;
    for (let index = 0; index < args.length; index++) {
      const arg = args[index];
      if (arg === "-s") continue;
      if (arg === "-H") {
        const [key, ...value] = args[++index].split(":");
        headers[key.trim().toLowerCase()] = value.join(":").trim();
      } else if (arg === "-d") {
        data = args[++index];
      } else if (!arg.startsWith("-")) {
        url = arg.replace(/^http:\/\/localhost:4000/, this.host.gatewayOrigin);
      } else {
        throw new Error(`curl option ${arg} is not understood by this test`);
      }
    }
    if (url === undefined) throw new Error("curl without a URL");
    const response = await fetch(url, { method: data === undefined ? "GET" : "POST", headers, body: data });
    const text = await response.text();
    this.responses.push(text);
    return text;
  }

  /** Splits `text` into words as a POSIX shell does: quotes, backslashes, `$NAME` and `$(...)`. */
  async words(text: string): Promise<string[]> {
    const words: string[] = [];
    let word = "";
    let inWord = false;
    for (let index = 0; index < text.length; index++) {
      const char = text[index];
      if (/\s/.test(char)) {
        if (inWord) words.push(word);
        word = "";
        inWord = false;
        continue;
      }
      inWord = true;
      if (char === "'") {
        const end = text.indexOf("'", index + 1);
        word += text.slice(index + 1, end);
        index = end;
      } else if (char === '"') {
        let end = index + 1;
        for (; text[end] !== '"'; end++) {
          if (text[end] === "\\" && '"\\$`'.includes(text[end + 1])) {
            word += text[++end];
          } else if (text[end] === "$") {
            const [value, last] = await this.expand(text, end);
            word += value;
            end = last;
          } else {
            word += text[end];
          }
        }
        index = end;
      } else if (char === "\\") {
        word += text[++index];
      } else if (char === "$") {
        const [value, last] = await this.expand(text, index);
        word += value;
        index = last;
      } else {
        word += char;
      }
    }
    if (inWord) words.push(word);
    return words;
  }

  /** The value of `$NAME` or `$(command)` starting at `start`, and the index of its last character. */
  private async expand(text: string, start: number): Promise<[string, number]> {
    if (text[start + 1] === "(") {
      let depth = 0;
      let end = start + 1;
      let quote: string | undefined;
      for (; end < text.length; end++) {
        const char = text[end];
        if (quote !== undefined) {
          if (char === "\\" && quote === '"') end++;
          else if (char === quote) quote = undefined;
        } else if (char === "'" || char === '"') quote = char;
        else if (char === "(") depth++;
        else if (char === ")" && --depth === 0) break;
      }
      const output = await this.pipeline(text.slice(start + 2, end), "");
      return [output.replace(/\n+$/, ""), end];
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(start + 1))?.[0];
    if (name === undefined) return ["$", start];
    const value = this.variables.get(name);
    if (value === undefined) throw new Error(`the README example uses $${name} before setting it`);
    return [value, start + name.length];
  }
}

/** `text` split at `separator` where it stands outside quotes and `$(...)`. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let depth = 0;
  let from = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quote !== undefined) {
      if (char === "\\" && quote === '"') index++;
      else if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === "(") depth++;
    else if (char === ")") depth--;
    else if (char === separator && depth === 0) {
      parts.push(text.slice(from, index));
      from = index + 1;
    }
  }
  parts.push(text.slice(from));
  return parts.map((part) => part.trim());
}

/** `sed -E 's/RE/REPLACEMENT/'` on each line of `input` (the README uses it to pick an id out of JSON). */
function sed(expression: string, input: string): string {
  const match = /^s\/((?:\\.|[^/])*)\/((?:\\.|[^/])*)\/$/.exec(expression);
  if (match === null) throw new Error(`sed expression ${expression} is not understood by this test`);
  const pattern = new RegExp(match[1]);
  const replacement = match[2].replace(/\\(\d)/g, "$$$1");
  return input
    .split("\n")
    .map((line) => line.replace(pattern, replacement))
    .join("\n");
}
