using System.Text.Json.Nodes;
using Storebridge.Sandbox.Erp.Erp;
using Storebridge.Sandbox.Erp.Frappe;

namespace Storebridge.Sandbox.Erp.Endpoints;

/// <summary>Frappe's REST surface: <c>/api/resource/{DocType}[/{name}]</c> and the <c>frappe.client</c> methods the adapter uses.</summary>
internal static class ResourceEndpoints
{
    public static void MapFrappeApi(this IEndpointRouteBuilder app, ErpState state)
    {
        app.MapGet("/api/resource/{doctype}", async (string doctype, HttpContext http) =>
        {
            List<JsonObject> rows;
            lock (state.Store.Sync)
            {
                if (!state.Store.HasDocType(doctype))
                {
                    throw FrappeException.NotFound("DocType", doctype);
                }

                rows = [.. ListQuery.Parse(doctype, http.Request.Query).Apply(state.Store.All(doctype))];
            }

            await state.Faults.SlowBatchAsync(rows.Count, http.RequestAborted);
            return FrappeResults.Data(new JsonArray([.. rows]));
        });

        app.MapGet("/api/resource/{doctype}/{name}", (string doctype, string name) =>
        {
            lock (state.Store.Sync)
            {
                RequireDocType(state, doctype);
                return FrappeResults.Data(state.Store.Get(doctype, name));
            }
        });

        app.MapPost("/api/resource/{doctype}", async (string doctype, HttpContext http) =>
        {
            var body = await FrappeResults.ReadObjectAsync(http.Request, http.RequestAborted);
            lock (state.Store.Sync)
            {
                RequireDocType(state, doctype);
                return FrappeResults.Data(state.Rules.Create(doctype, body, User(http)));
            }
        });

        app.MapPut("/api/resource/{doctype}/{name}", async (string doctype, string name, HttpContext http) =>
        {
            var body = await FrappeResults.ReadObjectAsync(http.Request, http.RequestAborted);
            lock (state.Store.Sync)
            {
                RequireDocType(state, doctype);
                return FrappeResults.Data(state.Rules.Update(doctype, name, body, User(http)));
            }
        });

        app.MapDelete("/api/resource/{doctype}/{name}", (string doctype, string name) =>
        {
            lock (state.Store.Sync)
            {
                RequireDocType(state, doctype);
                state.Rules.Delete(doctype, name);
                return FrappeResults.Message("ok", 202);
            }
        });

        app.MapMethods("/api/method/frappe.auth.get_logged_user", ["GET", "POST"], (HttpContext http) => FrappeResults.Message(User(http)));

        app.MapPost("/api/method/frappe.client.submit", async (HttpContext http) =>
        {
            var body = await FrappeResults.ReadObjectAsync(http.Request, http.RequestAborted);
            var doc = body["doc"] as JsonObject ?? throw FrappeException.Mandatory("frappe.client.submit", "doc");
            lock (state.Store.Sync)
            {
                var doctype = doc.Str("doctype");
                RequireDocType(state, doctype);
                var stored = state.Store.Get(doctype, doc.Str("name"));
                if (doc["modified"] is not null && doc.Str("modified") != stored.Str("modified"))
                {
                    throw FrappeException.Timestamp(doctype, doc.Str("name"));
                }

                state.Rules.Submit(stored, User(http));
                return FrappeResults.Message(stored);
            }
        });

        app.MapPost("/api/method/frappe.client.cancel", async (HttpContext http) =>
        {
            var body = await FrappeResults.ReadObjectAsync(http.Request, http.RequestAborted);
            lock (state.Store.Sync)
            {
                var doctype = body.Str("doctype");
                RequireDocType(state, doctype);
                state.Rules.Cancel(state.Store.Get(doctype, body.Str("name")), User(http));
                return FrappeResults.Message(null);
            }
        });

        app.Map("/api/method/{*method}", (string method) =>
            FrappeResults.Error(new FrappeException(404, "DoesNotExistError", $"Failed to get method for command {method} with No module named '{method.Split('.')[0]}'")));
        app.Map("/api/{*rest}", (string rest) =>
            FrappeResults.Error(new FrappeException(404, "DoesNotExistError", $"Page api/{rest} not found")));
    }

    private static void RequireDocType(ErpState state, string doctype)
    {
        if (doctype.Length == 0 || !state.Store.HasDocType(doctype))
        {
            throw FrappeException.NotFound("DocType", doctype);
        }
    }

    private static string User(HttpContext http) => http.Items[ErpState.UserKey] as string ?? "Guest";
}
