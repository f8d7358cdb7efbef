-- Neovim end to end: `nvim --headless --clean -c 'luafile THIS' FILE` with
-- REGSHIFT_BIN (the binary) and REGSHIFT_NVIM_OUT (where the transcript goes) in the
-- environment. Starts `regshift server` on FILE's buffer, waits for its diagnostics,
-- prints them (line, column, code, message), the code actions offered at the first one,
-- applies its preferred fix as Neovim does, waits for the diagnostics to follow the edit,
-- then shuts the server down and quits. Exits non-zero when a step times out.
--
-- Written for Neovim 0.7 (Debian bookworm's), where `vim.lsp.start` does not exist yet:
-- it falls back to `vim.lsp.start_client` + `vim.lsp.buf_attach_client`. Lines and columns
-- are 1-based; columns count bytes, as Neovim's do.

local bin = assert(os.getenv('REGSHIFT_BIN'), 'REGSHIFT_BIN is not set')
local out_path = assert(os.getenv('REGSHIFT_NVIM_OUT'), 'REGSHIFT_NVIM_OUT is not set')
local TIMEOUT_MS = 30000

local transcript = {}
local function say(line)
  table.insert(transcript, line)
end

local function finish(code)
  local out = assert(io.open(out_path, 'w'))
  out:write(table.concat(transcript, '\n') .. '\n')
  out:close()
  if code == 0 then
    vim.cmd('qall!')
  else
    vim.cmd('cquit ' .. code)
  end
end

local function fail(message)
  say('error: ' .. message)
  finish(1)
end

local function one_line(text)
  return (text:gsub('\n', ' | '))
end

local bufnr = vim.api.nvim_get_current_buf()
local file = vim.api.nvim_buf_get_name(bufnr)
local version = vim.version()
say(string.format('nvim %d.%d.%d', version.major, version.minor, version.patch))

local server_exit = nil
local config = {
  name = 'regshift',
  cmd = { bin, 'server' },
  root_dir = vim.fn.fnamemodify(file, ':p:h'),
  on_exit = function(code)
    server_exit = code
  end,
}
local client_id
if vim.lsp.start then
  client_id = vim.lsp.start(config)
else
  client_id = vim.lsp.start_client(config)
  vim.lsp.buf_attach_client(bufnr, client_id)
end
if not client_id then
  return fail('the client did not start')
end

local function diagnostics()
  local list = vim.diagnostic.get(bufnr)
  table.sort(list, function(a, b)
    return a.lnum < b.lnum or (a.lnum == b.lnum and a.col < b.col)
  end)
  return list
end

if not vim.wait(TIMEOUT_MS, function()
  return #diagnostics() > 0 or server_exit ~= nil
end, 20) then
  return fail('no diagnostics')
end
if server_exit ~= nil then
  return fail('the server exited with code ' .. tostring(server_exit))
end

local client = vim.lsp.get_client_by_id(client_id)
say('position encoding ' .. tostring(client.offset_encoding))
local found = diagnostics()
for _, d in ipairs(found) do
  local code = tostring(d.code)
  say(string.format('diagnostic %d:%d %s %s', d.lnum + 1, d.col + 1, code, one_line(d.message)))
end

-- The code actions at the first finding, asked for the way `vim.lsp.buf.code_action()` asks:
-- the cursor's range and the LSP diagnostics of its line.
local first = found[1]
vim.api.nvim_win_set_cursor(0, { first.lnum + 1, first.col })
local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
local line_diagnostics
if vim.lsp.diagnostic.get_line_diagnostics then
  line_diagnostics = vim.lsp.diagnostic.get_line_diagnostics(bufnr, first.lnum, {}, client_id)
else
  line_diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr, { lnum = first.lnum })) do
    table.insert(line_diagnostics, d.user_data and d.user_data.lsp)
  end
end
params.context = { diagnostics = line_diagnostics }
local responses, err =
  vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', params, TIMEOUT_MS)
if not responses then
  return fail('codeAction: ' .. tostring(err))
end
local preferred = nil
for _, response in pairs(responses) do
  if response.error then
    return fail('codeAction: ' .. vim.inspect(response.error))
  end
  for _, action in ipairs(response.result or {}) do
    local mark = action.isPreferred and ' (preferred)' or ''
    say(string.format('action [%s] %s%s', tostring(action.kind), action.title, mark))
    if action.isPreferred and not preferred then
      preferred = action
    end
  end
end
if not preferred then
  return fail('no preferred action')
end

-- Apply it as Neovim applies a chosen action; the buffer change reaches the server as a
-- didChange, and its diagnostics must follow.
vim.lsp.util.apply_workspace_edit(preferred.edit, client.offset_encoding)
say('after the fix: ' .. vim.api.nvim_buf_get_lines(bufnr, first.lnum, first.lnum + 1, true)[1])
if not vim.wait(TIMEOUT_MS, function()
  return #diagnostics() == #found - 1
end, 20) then
  return fail(string.format('diagnostics did not follow the edit: %d left', #diagnostics()))
end
for _, d in ipairs(diagnostics()) do
  say(string.format('diagnostic %d:%d %s', d.lnum + 1, d.col + 1, tostring(d.code)))
end

vim.lsp.stop_client(client_id)
if not vim.wait(TIMEOUT_MS, function()
  return server_exit ~= nil
end, 20) then
  return fail('the server did not exit')
end
say('server exit ' .. tostring(server_exit))
finish(0)
