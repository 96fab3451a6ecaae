using System.Text.Json.Nodes;
using Storebridge.Sandbox.Erp.Erp;
using Storebridge.Sandbox.Erp.Faults;
using Storebridge.Sandbox.Erp.Frappe;

namespace Storebridge.Sandbox.Erp.Endpoints;

/// <summary>
/// <c>/__admin</c>: drive the simulated ERP from tests and the demo — fault knobs, shipping a sales order,
/// changing stock, request counts. Not part of Frappe; no auth (the simulator listens on loopback only).
/// </summary>
internal static class AdminEndpoints
{
    public static void MapAdmin(this IEndpointRouteBuilder app, ErpState state)
    {
        var admin = app.MapGroup("/__admin");

        admin.MapGet("/faults", () => Results.Ok(state.Faults.Current));
        admin.MapPost("/faults", (ErpFaults faults) =>
        {
            state.Faults.Current = Validate(faults);
            state.Log.FaultsChanged();
            return Results.Ok(state.Faults.Current);
        });
        admin.MapDelete("/faults", () =>
        {
            state.Faults.Current = new ErpFaults();
            state.Log.FaultsChanged();
            return Results.NoContent();
        });

        // Convenience: an outage starting now.
        admin.MapPost("/outage", (OutageRequest request) =>
        {
            if (request.Seconds is <= 0 or > 3600)
            {
                throw FrappeException.Validation("seconds must be between 1 and 3600");
            }

            var now = state.Time.GetUtcNow();
            var current = state.Faults.Current;
            state.Faults.Current = new ErpFaults
            {
                Latency = current.Latency,
                Errors = current.Errors,
                RateLimit = current.RateLimit,
                SlowBatch = current.SlowBatch,
                Outages = [.. current.Outages, new OutageWindow { Start = now, End = now.AddSeconds(request.Seconds) }],
            };
            return Results.Ok(state.Faults.Current);
        });

        admin.MapPost("/ship", (ShipRequest request) =>
        {
            if (string.IsNullOrWhiteSpace(request.SalesOrder))
            {
                throw FrappeException.Mandatory("ship", "salesOrder");
            }

            lock (state.Store.Sync)
            {
                var order = state.Store.Get(ErpRules.SalesOrder, request.SalesOrder);
                var items = new JsonArray();
                foreach (var line in order.RowObjects("items"))
                {
                    var remaining = line.Dec("qty") - line.Dec("delivered_qty");
                    var wanted = request.Lines is null ? remaining : request.Lines.Where(l => l.Sku == line.Str("item_code")).Sum(l => l.Quantity);
                    var qty = Math.Min(remaining, wanted);
                    if (qty > 0m)
                    {
                        items.Add(new JsonObject
                        {
                            ["item_code"] = line.Str("item_code"),
                            ["qty"] = qty,
                            ["rate"] = line.Dec("rate"),
                            ["warehouse"] = line.Str("warehouse"),
                            ["against_sales_order"] = order.Str("name"),
                            ["so_detail"] = line.Str("name"),
                        });
                    }
                }

                if (items.Count == 0)
                {
                    throw FrappeException.Validation($"{ErpRules.SalesOrder} {request.SalesOrder} has nothing left to deliver");
                }

                var note = state.Rules.Create(ErpRules.DeliveryNote, new JsonObject
                {
                    ["customer"] = order.Str("customer"),
                    ["currency"] = order.Str("currency"),
                    ["selling_price_list"] = order.Str("selling_price_list"),
                    ["po_no"] = order.Str("po_no"),
                    ["transporter_name"] = request.Carrier ?? "UPS",
                    ["lr_no"] = request.TrackingNumber ?? $"1Z{state.Store.NextHash().ToUpperInvariant()}",
                    ["lr_date"] = state.Store.Today(),
                    ["items"] = items,
                    ["docstatus"] = 1,
                }, "Administrator");
                state.Log.Shipped(request.SalesOrder, note.Str("name"));
                return FrappeResults.Data(note);
            }
        });

        admin.MapPost("/stock", (StockRequest request) =>
        {
            if (string.IsNullOrWhiteSpace(request.Sku) || string.IsNullOrWhiteSpace(request.Warehouse))
            {
                throw FrappeException.Mandatory("stock", "sku and warehouse");
            }

            if ((request.Delta is null) == (request.OnHand is null))
            {
                throw FrappeException.Validation("Give exactly one of delta or onHand");
            }

            lock (state.Store.Sync)
            {
                _ = state.Store.Find(ErpRules.Item, request.Sku) ?? throw FrappeException.Link(ErpRules.Item, request.Sku);
                _ = state.Store.Find(ErpRules.Warehouse, request.Warehouse) ?? throw FrappeException.Link(ErpRules.Warehouse, request.Warehouse);
                var bin = state.Rules.BinFor(request.Sku, request.Warehouse);
                var delta = request.Delta ?? (request.OnHand!.Value - bin.Dec("actual_qty"));
                if (delta != 0m)
                {
                    var receipt = delta > 0m;
                    state.Rules.Create(ErpRules.StockEntry, new JsonObject
                    {
                        ["stock_entry_type"] = receipt ? "Material Receipt" : "Material Issue",
                        ["items"] = new JsonArray(new JsonObject
                        {
                            ["item_code"] = request.Sku,
                            ["qty"] = Math.Abs(delta),
                            [receipt ? "t_warehouse" : "s_warehouse"] = request.Warehouse,
                        }),
                        ["docstatus"] = 1,
                    }, "Administrator");
                }

                return FrappeResults.Data(bin);
            }
        });

        admin.MapGet("/stats", () => Results.Ok(state.Stats.Snapshot()));
        admin.MapGet("/customers/{id}/exposure", (string id) =>
        {
            lock (state.Store.Sync)
            {
                _ = state.Store.Get(ErpRules.Customer, id);
                return Results.Ok(new { customer = id, exposure = state.Rules.Exposure(id) });
            }
        });
    }

    private static ErpFaults Validate(ErpFaults faults)
    {
        static void Probability(double value, string name)
        {
            if (value is < 0 or > 1 || double.IsNaN(value))
            {
                throw FrappeException.Validation($"{name} must be between 0 and 1");
            }
        }

        foreach (var error in faults.Errors)
        {
            Probability(error.Rate, "errors[].rate");
            if (error.Status is < 500 or > 599)
            {
                throw FrappeException.Validation("errors[].status must be a 5xx status");
            }
        }

        if (faults.RateLimit is { } limit)
        {
            Probability(limit.Rate, "rateLimit.rate");
            if (limit.RetryAfterSeconds < 0 || limit.RequestsPerSecond < 0)
            {
                throw FrappeException.Validation("rateLimit values must not be negative");
            }
        }

        if (faults.Latency is { } latency)
        {
            Probability(latency.SpikeProbability, "latency.spikeProbability");
            if (latency.MinMs < 0 || latency.MaxMs < latency.MinMs || latency.SpikeMs < 0)
            {
                throw FrappeException.Validation("latency needs 0 <= minMs <= maxMs and spikeMs >= 0");
            }
        }

        if (faults.Outages.Any(o => o.End <= o.Start))
        {
            throw FrappeException.Validation("outages[].end must be after start");
        }

        return faults;
    }
}

/// <summary>Body of <c>POST /__admin/outage</c>.</summary>
internal sealed record OutageRequest(int Seconds);

/// <summary>Body of <c>POST /__admin/ship</c>: deliver a sales order (all that is left, or the given lines).</summary>
internal sealed record ShipRequest(string SalesOrder, string? Carrier, string? TrackingNumber, IReadOnlyList<ShipLine>? Lines);

/// <summary>One line to ship.</summary>
internal sealed record ShipLine(string Sku, decimal Quantity);

/// <summary>Body of <c>POST /__admin/stock</c>: change on-hand stock by a delta or to a value (through a Stock Entry).</summary>
internal sealed record StockRequest(string Sku, string Warehouse, decimal? Delta, decimal? OnHand);
