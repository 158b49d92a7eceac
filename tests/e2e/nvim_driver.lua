-- Drives a headless Neovim with the mlsense config from docs/editors.md and writes what the
-- editor saw to $MLSENSE_E2E_OUT as JSON. Only Neovim's own LSP client is used.
local out_path = assert(os.getenv("MLSENSE_E2E_OUT"), "MLSENSE_E2E_OUT not set")
local timeout = tonumber(os.getenv("MLSENSE_E2E_TIMEOUT_MS") or "30000")
local report = { steps = {} }

local function step(name) table.insert(report.steps, name) end

local function finish()
  local f = assert(io.open(out_path, "w"))
  f:write(vim.json.encode(report))
  f:close()
  for _, c in ipairs(vim.lsp.get_clients()) do c:stop(true) end
  vim.cmd("qall!")
end

local ok, err = xpcall(function()
  local bufnr = vim.api.nvim_get_current_buf()
  report.filetype = vim.bo[bufnr].filetype

  -- 1. The client attaches (vim.lsp.enable starts it on the python filetype).
  local client
  report.attached = vim.wait(timeout, function()
    client = vim.lsp.get_clients({ bufnr = bufnr, name = "mlsense" })[1]
    return client ~= nil and client.initialized
  end, 50)
  step("attach")
  if not report.attached then return end
  -- The documented :MlsenseTranslate command exists and the API it uses is there in this Neovim.
  report.user_command = vim.fn.exists(":MlsenseTranslate") == 2
  report.exec_cmd_available = type(client.exec_cmd) == "function"
  local caps = client.server_capabilities
  report.server_info = client.server_info
  report.capabilities = {
    hover = caps.hoverProvider and true or false,
    inlay_hint = caps.inlayHintProvider and true or false,
    code_action = caps.codeActionProvider and true or false,
    diagnostic_provider = caps.diagnosticProvider and true or false,
    notebook_sync = caps.notebookDocumentSync and true or false,
    commands = caps.executeCommandProvider and caps.executeCommandProvider.commands or {},
  }

  -- 2. Diagnostics arrive (pushed or pulled, whichever the server chose).
  local function mlsense_diags()
    return vim.tbl_filter(function(d) return d.source == "mlsense" end, vim.diagnostic.get(bufnr))
  end
  report.got_diagnostics = vim.wait(timeout, function() return #mlsense_diags() > 0 end, 50)
  report.diagnostics = vim.tbl_map(function(d)
    return { code = d.code, lnum = d.lnum, col = d.col, end_col = d.end_col, severity = d.severity, message = d.message }
  end, mlsense_diags())
  step("diagnostics")

  -- 3. Code actions for the first MLS301 diagnostic; apply its quick fix.
  local target
  for _, d in ipairs(mlsense_diags()) do
    if d.code == "MLS301" then target = d break end
  end
  if target then
    local lsp_diag = target.user_data and target.user_data.lsp or nil
    -- Hover inside the MLS301 diagnostic (before its fix removes it), at its LSP start.
    if report.capabilities.hover and lsp_diag then
      local hresp = client:request_sync("textDocument/hover", {
        textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = lsp_diag.range.start,
      }, timeout, bufnr)
      local r = hresp and hresp.result or nil
      report.diagnostic_hover = hresp and {
        err = hresp.err and hresp.err.message,
        kind = r and r.contents and r.contents.kind, value = r and r.contents and r.contents.value,
        range = r and r.range, diagnostic_range = lsp_diag.range,
      } or { timeout = true }
      step("diagnostic_hover")
    end
    local params = {
      textDocument = { uri = vim.uri_from_bufnr(bufnr) },
      range = { start = { line = target.lnum, character = target.col },
                ["end"] = { line = target.end_lnum or target.lnum, character = target.end_col or target.col } },
      context = { diagnostics = { lsp_diag }, only = { "quickfix" } },
    }
    local resp = client:request_sync("textDocument/codeAction", params, timeout, bufnr)
    report.code_actions = {}
    local fix
    for _, action in ipairs((resp and resp.result) or {}) do
      table.insert(report.code_actions, { title = action.title, kind = action.kind, preferred = action.isPreferred or false })
      if action.kind == "quickfix" and action.edit and not fix then fix = action end
    end
    step("code_action")
    if fix then
      vim.lsp.util.apply_workspace_edit(fix.edit, client.offset_encoding)
      report.fixed_line = vim.api.nvim_buf_get_lines(bufnr, target.lnum, target.lnum + 1, false)[1]
      -- The server re-analyses the edited buffer: MLS301 must go away.
      report.mls301_gone_after_fix = vim.wait(timeout, function()
        for _, d in ipairs(mlsense_diags()) do
          if d.code == "MLS301" then return false end
        end
        return true
      end, 50)
      step("apply_fix")
    end
  end

  -- 4. Hover and inlay hints, when advertised.
  if report.capabilities.hover then
    local resp = client:request_sync("textDocument/hover", {
      textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = { line = target and target.lnum or 0, character = 20 },
    }, timeout, bufnr)
    report.hover = resp and { err = resp.err and resp.err.message, has_result = resp.result ~= nil } or { timeout = true }
  end
  if report.capabilities.inlay_hint then
    local resp = client:request_sync("textDocument/inlayHint", {
      textDocument = { uri = vim.uri_from_bufnr(bufnr) },
      range = { start = { line = 0, character = 0 }, ["end"] = { line = vim.api.nvim_buf_line_count(bufnr), character = 0 } },
    }, timeout, bufnr)
    report.inlay_hints = resp and {
      err = resp.err and resp.err.message,
      count = resp.result and #resp.result or 0,
      labels = resp.result and vim.tbl_map(function(h)
        return type(h.label) == "string" and h.label or "" end, resp.result) or {},
    } or { timeout = true }
  end
  step("hover_inlay")

  -- 5. Translate through workspace/executeCommand (the server may ask us to create the file).
  local target_fw = os.getenv("MLSENSE_E2E_TARGET") or "pytorch"
  local resp = client:request_sync("workspace/executeCommand", {
    command = "mlsense.translateFramework",
    arguments = { { uri = vim.uri_from_bufnr(bufnr), target = target_fw } },
  }, tonumber(os.getenv("MLSENSE_E2E_TRANSLATE_TIMEOUT_MS") or "90000"), bufnr)
  if resp == nil then
    report.translate = { timeout = true }
  elseif resp.err then
    report.translate = { error_code = resp.err.code, error = resp.err.message }
  else
    local r = resp.result or {}
    report.translate = { target_uri = r.targetUri, code_length = r.targetCode and #r.targetCode or 0,
                         has_code = type(r.targetCode) == "string", unsupported = r.unsupported,
                         exists = r.exists, applied = r.applied,
                         code_head = r.targetCode and r.targetCode:sub(1, 400) or nil }
    if r.targetUri then
      local tb = vim.uri_to_bufnr(r.targetUri)
      report.translate.target_buffer_lines = vim.api.nvim_buf_is_loaded(tb) and vim.api.nvim_buf_line_count(tb) or 0
    end
  end
  step("translate")

  -- 6. A PyTorch file ($MLSENSE_E2E_TORCH): a layer hover with its Keras equivalent, and the
  --    in_features completion inside `nn.Linear(` (the buffer is edited as a user types it).
  local torch_path = os.getenv("MLSENSE_E2E_TORCH")
  if torch_path then
    vim.cmd("edit " .. vim.fn.fnameescape(torch_path))
    local tbuf = vim.api.nvim_get_current_buf()
    local tclient
    vim.wait(timeout, function()
      tclient = vim.lsp.get_clients({ bufnr = tbuf, name = "mlsense" })[1]
      return tclient ~= nil
    end, 50)
    local lines = vim.api.nvim_buf_get_lines(tbuf, 0, -1, false)
    local function find(needle)
      for i, l in ipairs(lines) do
        local c = l:find(needle, 1, true)
        if c then return i - 1, c - 1 end
      end
    end
    -- Hovers read the last analysis without waiting; an inlay-hint request waits for it.
    tclient:request_sync("textDocument/inlayHint", {
      textDocument = { uri = vim.uri_from_bufnr(tbuf) },
      range = { start = { line = 0, character = 0 }, ["end"] = { line = #lines, character = 0 } },
    }, timeout, tbuf)
    local hl, hc = find("Conv2d")
    local hresp = tclient:request_sync("textDocument/hover", {
      textDocument = { uri = vim.uri_from_bufnr(tbuf) }, position = { line = hl, character = hc + 2 },
    }, timeout, tbuf)
    report.layer_hover = hresp and { err = hresp.err and hresp.err.message,
      value = hresp.result and hresp.result.contents and hresp.result.contents.value } or { timeout = true }
    -- Type `nn.Linear(` on the line of `nn.Linear()`, as a user does, then ask for completion.
    local ll, lc = find("nn.Linear()")
    vim.api.nvim_buf_set_text(tbuf, ll, lc + #"nn.Linear(", ll, lc + #"nn.Linear()", {})
    local cresp = tclient:request_sync("textDocument/completion", {
      textDocument = { uri = vim.uri_from_bufnr(tbuf) }, position = { line = ll, character = lc + #"nn.Linear(" },
      context = { triggerKind = 2, triggerCharacter = "(" },
    }, timeout, tbuf)
    local items = cresp and cresp.result and (cresp.result.items or cresp.result) or {}
    report.completion = cresp and { err = cresp.err and cresp.err.message,
      items = vim.tbl_map(function(i) return { label = i.label, detail = i.detail } end, items) } or { timeout = true }
    step("torch_hover_completion")
  end
end, debug.traceback)

if not ok then report.error = err end
finish()
