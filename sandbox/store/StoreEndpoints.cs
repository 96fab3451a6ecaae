using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;
using Storebridge.WooCommerce;
using Storebridge.WooCommerce.Models;

namespace Storebridge.Sandbox.Store;

/// <summary>The HTTP surface: REST v3 subset under <c>/wp-json/wc/v3</c>, the storefront checkout under
/// <c>/__shop</c>, inspection and fault knobs under <c>/__admin</c>.</summary>
internal static class StoreEndpoints
{
    private const string ApiPrefix = "/wp-json/wc/v3";

    public static void Map(WebApplication app, StoreState state, FaultController faults, WebhookDispatcher webhooks)
    {
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments(ApiPrefix, out var rest))
            {
                await next(context);
                return;
            }

            var route = FaultController.RouteKey(rest.Value ?? "");
            try
            {
                await ApiPipelineAsync(context, route, state, faults, next);
            }
            catch (ApiException ex)
            {
                await WriteErrorAsync(context, ex);
            }
            catch (JsonException ex)
            {
                await WriteErrorAsync(context, new ApiException(400, "rest_invalid_json", $"Invalid JSON body passed. {ex.Message}"));
            }
            catch (BadHttpRequestException ex)
            {
                await WriteErrorAsync(context, new ApiException(400, "rest_invalid_request", ex.Message));
            }
            finally
            {
                faults.Requests.Enqueue(new RequestRecord(context.Request.Method, route, context.Response.StatusCode, state.Options.TimeProvider.GetUtcNow()));
            }
        });

        app.MapGet("/", () => Results.Text("Storebridge sandbox WooCommerce store. REST API: /wp-json/wc/v3/"));
        MapProducts(app.MapGroup(ApiPrefix), state);
        MapOrders(app.MapGroup(ApiPrefix), state);
        MapCustomersAndWebhooks(app.MapGroup(ApiPrefix), state, webhooks);
        MapShop(app, state);
        MapAdmin(app, state, faults, webhooks);
    }

    private static async Task ApiPipelineAsync(HttpContext context, string route, StoreState state, FaultController faults, RequestDelegate next)
    {
        var (kind, delay, retryAfter) = faults.Decide(context.Request.Method, route);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, state.Options.TimeProvider, context.RequestAborted);
        }

        switch (kind)
        {
            case FaultKind.Outage:
                context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                throw new ApiException(503, "service_unavailable", "Service temporarily unavailable.");
            case FaultKind.Throttle:
                context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                throw new ApiException(429, "woocommerce_rest_too_many_requests", "Too many requests. Please wait and try again.");
            case FaultKind.ServerError:
                throw new ApiException(500, "internal_server_error", "There has been a critical error on this website.");
        }

        if (RestAuth.Check(context.Request, state) is { } authError)
        {
            throw authError;
        }

        await next(context);
    }

    private static async Task WriteErrorAsync(HttpContext context, ApiException ex)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = ex.Status;
        await context.Response.WriteAsJsonAsync(ex.ToError(), WooJson.Options);
    }

    private static IResult Json(object? value, int status = 200) => Results.Json(value, WooJson.Options, statusCode: status);

    private static async Task<T> BodyAsync<T>(HttpRequest request)
    {
        var value = await JsonSerializer.DeserializeAsync<T>(request.Body, WooJson.Options, request.HttpContext.RequestAborted);
        return value ?? throw new ApiException(400, "rest_invalid_json", "Invalid JSON body passed.");
    }

    private static async Task<JsonElement> BatchBodyAsync(HttpRequest request, StoreState state)
    {
        var body = await BodyAsync<JsonElement>(request);
        var count = StoreState.BatchCount(body);
        if (count > state.Options.BatchLimit)
        {
            // WC_REST_Controller::check_batch_limit.
            throw new ApiException(413, "woocommerce_rest_request_entity_too_large",
                $"Unable to accept more than {state.Options.BatchLimit} items for this request.");
        }

        return body;
    }

    // ---------------- paging and filters ----------------

    private static (int PerPage, int Page, int Skip) PageParams(HttpRequest request)
    {
        var perPage = Int(request, "per_page") ?? 10;
        if (perPage is < 1 or > 100)
        {
            throw new ApiException(400, "rest_invalid_param", "Invalid parameter(s): per_page (per_page must be between 1 (inclusive) and 100 (inclusive))");
        }

        var page = Int(request, "page") ?? 1;
        if (page < 1)
        {
            throw new ApiException(400, "rest_invalid_param", "Invalid parameter(s): page");
        }

        var offset = Int(request, "offset");
        return (perPage, page, offset ?? (page - 1) * perPage);
    }

    private static IResult Paged<T>(HttpContext context, (List<T> Items, int Total) result, int perPage, int page)
    {
        var totalPages = (int)Math.Ceiling(result.Total / (double)perPage);
        if (page > totalPages && result.Total > 0)
        {
            throw new ApiException(400, "rest_post_invalid_page_number", "The page number requested is larger than the number of pages available.");
        }

        var response = context.Response;
        response.Headers["X-WP-Total"] = result.Total.ToString(CultureInfo.InvariantCulture);
        response.Headers["X-WP-TotalPages"] = totalPages.ToString(CultureInfo.InvariantCulture);
        var links = new List<string>();
        if (page > 1)
        {
            links.Add($"<{PageUrl(context.Request, Math.Min(page - 1, Math.Max(totalPages, 1)))}>; rel=\"prev\"");
        }

        if (page < totalPages)
        {
            links.Add($"<{PageUrl(context.Request, page + 1)}>; rel=\"next\"");
        }

        if (links.Count > 0)
        {
            response.Headers.Link = string.Join(", ", links);
        }

        return Json(result.Items);
    }

    private static string PageUrl(HttpRequest request, int page)
    {
        var query = request.Query.Where(p => p.Key != "page").Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value.ToString())}").Append($"page={page}");
        return $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}?{string.Join('&', query)}";
    }

    private static int? Int(HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var value) && !StringValues.IsNullOrEmpty(value)
            ? int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : throw new ApiException(400, "rest_invalid_param", $"Invalid parameter(s): {name}")
            : null;

    private static DateTime? Date(HttpRequest request, string name)
    {
        if (!request.Query.TryGetValue(name, out var value) || StringValues.IsNullOrEmpty(value))
        {
            return null;
        }

        // The site runs in UTC, so site-local and GMT (dates_are_gmt) dates are the same instants.
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? DateTime.SpecifyKind(parsed.UtcDateTime, DateTimeKind.Unspecified)
            : throw new ApiException(400, "rest_invalid_param", $"Invalid parameter(s): {name}");
    }

    private static HashSet<long>? Ids(HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var value) && !StringValues.IsNullOrEmpty(value)
            ? [.. value.ToString().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => long.Parse(s, CultureInfo.InvariantCulture))]
            : null;

    private static bool Desc(HttpRequest request) => !string.Equals(request.Query["order"], "asc", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<T> Sort<T, TKey>(IEnumerable<T> items, Func<T, TKey> key, bool desc, Func<T, long?> id) =>
        desc ? items.OrderByDescending(key).ThenByDescending(id) : items.OrderBy(key).ThenBy(id);

    // ---------------- products ----------------

    private static void MapProducts(RouteGroupBuilder api, StoreState state)
    {
        api.MapGet("/products", (HttpContext context) =>
        {
            var request = context.Request;
            var (perPage, page, skip) = PageParams(request);
            var skus = request.Query["sku"].ToString() is { Length: > 0 } s ? s.Split(',').ToHashSet(StringComparer.Ordinal) : null;
            var status = request.Query["status"].ToString();
            var type = request.Query["type"].ToString();
            var search = request.Query["search"].ToString();
            var include = Ids(request, "include");
            var modifiedAfter = Date(request, "modified_after");
            var modifiedBefore = Date(request, "modified_before");
            var orderBy = request.Query["orderby"].ToString();
            var desc = Desc(request);
            bool Filter(WooProduct p) =>
                (skus is null || skus.Contains(p.Sku ?? ""))
                && (status is "" or "any" || p.Status == status)
                && (type.Length == 0 || p.Type == type)
                && (search.Length == 0 || (p.Name ?? "").Contains(search, StringComparison.OrdinalIgnoreCase))
                && (include is null || include.Contains(p.Id ?? 0))
                && (modifiedAfter is null || p.DateModifiedGmt > modifiedAfter)
                && (modifiedBefore is null || p.DateModifiedGmt < modifiedBefore);
            IEnumerable<WooProduct> Order(IEnumerable<WooProduct> items) => orderBy switch
            {
                "id" => Sort(items, p => p.Id, desc, p => p.Id),
                "title" => Sort(items, p => p.Name, desc, p => p.Id),
                "modified" => Sort(items, p => p.DateModifiedGmt, desc, p => p.Id),
                _ => Sort(items, p => p.DateCreatedGmt, desc, p => p.Id),
            };
            return Paged(context, state.Query(st => st.LiveProducts, Filter, Order, skip, perPage), perPage, page);
        });
        api.MapGet("/products/{id:long}", (long id) => Json(state.Product(id)));
        api.MapPost("/products", async (HttpRequest request) => Json(state.CreateProduct(await BodyAsync<WooProduct>(request)), 201));
        api.MapMethods("/products/{id:long}", ["POST", "PUT", "PATCH"], async (long id, HttpRequest request) => Json(state.UpdateProduct(id, await BodyAsync<WooProduct>(request))));
        api.MapPost("/products/batch", async (HttpRequest request) => Json(state.BatchProducts(await BatchBodyAsync(request, state))));

        api.MapGet("/products/{productId:long}/variations", (long productId, HttpContext context) =>
        {
            var (perPage, page, skip) = PageParams(context.Request);
            var desc = Desc(context.Request);
            return Paged(context, state.Query(st => st.LiveVariations(productId), _ => true, items => Sort(items, v => v.Id, desc, v => v.Id), skip, perPage), perPage, page);
        });
        api.MapGet("/products/{productId:long}/variations/{id:long}", (long productId, long id) => Json(state.Variation(productId, id)));
        api.MapPost("/products/{productId:long}/variations", async (long productId, HttpRequest request) =>
            Json(state.CreateVariation(productId, await BodyAsync<WooVariation>(request)), 201));
        api.MapMethods("/products/{productId:long}/variations/{id:long}", ["POST", "PUT", "PATCH"], async (long productId, long id, HttpRequest request) =>
            Json(state.UpdateVariation(productId, id, await BodyAsync<WooVariation>(request))));
        api.MapPost("/products/{productId:long}/variations/batch", async (long productId, HttpRequest request) =>
            Json(state.BatchVariations(productId, await BatchBodyAsync(request, state))));
    }

    // ---------------- orders ----------------

    private static void MapOrders(RouteGroupBuilder api, StoreState state)
    {
        api.MapGet("/orders", (HttpContext context) =>
        {
            var request = context.Request;
            var (perPage, page, skip) = PageParams(request);
            var statuses = request.Query["status"].ToString() is { Length: > 0 } s && s != "any" ? s.Split(',').ToHashSet(StringComparer.Ordinal) : null;
            var customer = request.Query.ContainsKey("customer") ? Int(request, "customer") : null;
            var include = Ids(request, "include");
            var after = Date(request, "after");
            var before = Date(request, "before");
            var modifiedAfter = Date(request, "modified_after");
            var modifiedBefore = Date(request, "modified_before");
            var orderBy = request.Query["orderby"].ToString();
            var desc = Desc(request);
            bool Filter(WooOrder o) =>
                (statuses is null ? o.Status != "trash" : statuses.Contains(o.Status ?? ""))
                && (customer is null || o.CustomerId == customer)
                && (include is null || include.Contains(o.Id ?? 0))
                && (after is null || o.DateCreatedGmt > after)
                && (before is null || o.DateCreatedGmt < before)
                && (modifiedAfter is null || o.DateModifiedGmt > modifiedAfter)
                && (modifiedBefore is null || o.DateModifiedGmt < modifiedBefore);
            IEnumerable<WooOrder> Order(IEnumerable<WooOrder> items) => orderBy switch
            {
                "id" => Sort(items, o => o.Id, desc, o => o.Id),
                "modified" => Sort(items, o => o.DateModifiedGmt, desc, o => o.Id),
                _ => Sort(items, o => o.DateCreatedGmt, desc, o => o.Id),
            };
            return Paged(context, state.Query(st => st.LiveOrders, Filter, Order, skip, perPage), perPage, page);
        });
        api.MapGet("/orders/{id:long}", (long id) => Json(state.Order(id)));
        api.MapPost("/orders", async (HttpRequest request) => Json(state.CreateOrder(await BodyAsync<WooOrder>(request)), 201));
        api.MapMethods("/orders/{id:long}", ["POST", "PUT", "PATCH"], async (long id, HttpRequest request) => Json(state.UpdateOrder(id, await BodyAsync<WooOrder>(request))));
        api.MapGet("/orders/{id:long}/notes", (long id) => Json(state.Notes(id)));
        api.MapPost("/orders/{id:long}/notes", async (long id, HttpRequest request) => Json(state.AddNote(id, await BodyAsync<WooOrderNote>(request)), 201));
        api.MapGet("/orders/{id:long}/refunds", (long id) => Json(state.Refunds(id)));
        api.MapPost("/orders/{id:long}/refunds", async (long id, HttpRequest request) => Json(state.CreateRefund(id, await BodyAsync<WooRefund>(request)), 201));
    }

    // ---------------- customers and webhooks ----------------

    private static void MapCustomersAndWebhooks(RouteGroupBuilder api, StoreState state, WebhookDispatcher webhooks)
    {
        api.MapGet("/customers", (HttpContext context) =>
        {
            var request = context.Request;
            var (perPage, page, skip) = PageParams(request);
            var email = request.Query["email"].ToString();
            var role = request.Query["role"].ToString();
            // Customers list ascending unless asked otherwise (products and orders default to descending).
            var desc = string.Equals(request.Query["order"], "desc", StringComparison.OrdinalIgnoreCase);
            bool Filter(WooCustomer c) =>
                (email.Length == 0 || string.Equals(c.Email, email, StringComparison.OrdinalIgnoreCase))
                && (role is "" or "all" || c.Role == role);
            return Paged(context, state.Query(st => st.LiveCustomers, Filter, items => Sort(items, c => c.Id, desc, c => c.Id), skip, perPage), perPage, page);
        });
        api.MapGet("/customers/{id:long}", (long id) => Json(state.Customer(id)));
        api.MapPost("/customers", async (HttpRequest request) => Json(state.CreateCustomer(await BodyAsync<WooCustomer>(request)), 201));
        api.MapMethods("/customers/{id:long}", ["POST", "PUT", "PATCH"], async (long id, HttpRequest request) => Json(state.UpdateCustomer(id, await BodyAsync<WooCustomer>(request))));

        api.MapGet("/webhooks", (HttpContext context) =>
        {
            var (perPage, page, skip) = PageParams(context.Request);
            var status = context.Request.Query["status"].ToString();
            var all = state.Webhooks(w => status is "" or "all" || w.Status == status).OrderBy(w => w.Id).ToList();
            return Paged(context, ([.. all.Skip(skip).Take(perPage)], all.Count), perPage, page);
        });
        api.MapGet("/webhooks/{id:long}", (long id) => Json(state.Webhook(id)));
        api.MapPost("/webhooks", async (HttpRequest request) =>
        {
            var (webhook, ping) = state.CreateWebhook(await BodyAsync<WooWebhook>(request));
            if (ping)
            {
                webhooks.EnqueuePing(webhook.Id!.Value);
            }

            return Json(webhook, 201);
        });
        api.MapMethods("/webhooks/{id:long}", ["POST", "PUT", "PATCH"], async (long id, HttpRequest request) =>
        {
            var (webhook, ping) = state.UpdateWebhook(id, await BodyAsync<WooWebhook>(request));
            if (ping)
            {
                webhooks.EnqueuePing(id);
            }

            return Json(webhook);
        });
        api.MapDelete("/webhooks/{id:long}", (long id) => Json(state.DeleteWebhook(id)));
    }

    // ---------------- storefront ----------------

    private static void MapShop(WebApplication app, StoreState state)
    {
        app.MapGet("/__shop/catalog", () =>
        {
            var products = state.Catalog.Sellables.Select(s => state.Stock(s.Sku) is { } stock
                    ? new ShopProduct(stock.ProductId, stock.VariationId ?? 0, s.Sku, s.Variant?.Name ?? s.Item.Name, stock.StockStatus ?? "", stock.StockQuantity)
                    : null)
                .OfType<ShopProduct>()
                .ToList();
            var customers = state.SeedCustomers().Select(c => new ShopCustomer(c.StoreId, c.Seed.Id, c.Seed.Email, c.Seed.Kind.ToString(), c.Seed.Company)).ToList();
            return Json(new ShopCatalog(state.Options.Currency, products, customers, [.. StoreState.Coupons.Keys]));
        });

        app.MapPost("/__shop/checkout", async (HttpContext context) =>
        {
            try
            {
                var request = await BodyAsync<CheckoutRequest>(context.Request);
                var pending = state.BeginCheckout(request);
                if (state.Hold is { } hold)
                {
                    await hold.WaitAsync(context.RequestAborted);
                }

                if (state.Options.CheckoutPaymentDelay > TimeSpan.Zero)
                {
                    await Task.Delay(state.Options.CheckoutPaymentDelay, state.Options.TimeProvider, context.RequestAborted);
                }

                return Json(state.CompleteCheckout(pending), 201);
            }
            catch (ApiException ex)
            {
                return Json(ex.ToError(), ex.Status);
            }
            catch (JsonException ex)
            {
                return Json(new ApiException(400, "rest_invalid_json", ex.Message).ToError(), 400);
            }
        });
    }

    // ---------------- admin ----------------

    private static void MapAdmin(WebApplication app, StoreState state, FaultController faults, WebhookDispatcher webhooks)
    {
        app.MapGet("/__admin/faults", () => Json(faults.Current));
        app.MapPost("/__admin/faults", async (HttpRequest request) =>
        {
            try
            {
                var settings = await BodyAsync<FaultSettings>(request);
                faults.Set(settings);
                return Json(faults.Current);
            }
            catch (Exception ex) when (ex is JsonException or ApiException)
            {
                return Json(new ApiException(400, "invalid_faults", ex.Message).ToError(), 400);
            }
        });
        app.MapDelete("/__admin/faults", () =>
        {
            faults.Set(new FaultSettings());
            return Json(faults.Current);
        });
        app.MapGet("/__admin/stock/{sku}", (string sku) => state.Stock(sku) is { } stock ? Json(stock) : Json(new ApiException(404, "unknown_sku", $"No SKU {sku}.").ToError(), 404));
        app.MapGet("/__admin/orders/{id:long}/notes", (long id) =>
        {
            try
            {
                return Json(state.Notes(id));
            }
            catch (ApiException ex)
            {
                return Json(ex.ToError(), ex.Status);
            }
        });
        app.MapGet("/__admin/webhooks/deliveries", () => Json(webhooks.Deliveries.ToList()));
        app.MapGet("/__admin/requests", () => Json(faults.Requests.GroupBy(r => $"{r.Method} {r.Route} {r.Status}").ToDictionary(g => g.Key, g => g.Count())));
        app.MapGet("/__admin/state", () => Json(new
        {
            store_id = state.Options.StoreId,
            seed = state.Options.Seed,
            size = state.Options.Size.ToString(),
            products = state.Query(st => st.LiveProducts, _ => true, x => x, 0, 0).Total,
            orders = state.Query(st => st.LiveOrders, _ => true, x => x, 0, 0).Total,
            customers = state.Query(st => st.LiveCustomers, _ => true, x => x, 0, 0).Total,
            webhooks = state.Webhooks(_ => true),
            webhook_backlog = webhooks.Backlog,
        }));
    }
}

/// <summary>A sellable SKU as the storefront lists it.</summary>
/// <param name="ProductId">Product id.</param>
/// <param name="VariationId">Variation id (0 for simple products).</param>
/// <param name="Sku">SKU.</param>
/// <param name="Name">Name.</param>
/// <param name="StockStatus">Stock status.</param>
/// <param name="StockQuantity">Stock.</param>
public sealed record ShopProduct(long ProductId, long VariationId, string Sku, string Name, string StockStatus, int? StockQuantity);

/// <summary>A registered customer as the storefront knows it.</summary>
/// <param name="Id">Store customer id.</param>
/// <param name="ErpId">Seed (ERP) customer id.</param>
/// <param name="Email">Email.</param>
/// <param name="Kind">Consumer or Business.</param>
/// <param name="Company">Company (businesses).</param>
public sealed record ShopCustomer(long Id, string ErpId, string Email, string Kind, string Company);

/// <summary>The storefront's catalog for shoppers.</summary>
/// <param name="Currency">Store currency.</param>
/// <param name="Products">Sellable SKUs.</param>
/// <param name="Customers">Registered customers.</param>
/// <param name="Coupons">Valid coupon codes.</param>
public sealed record ShopCatalog(string Currency, List<ShopProduct> Products, List<ShopCustomer> Customers, List<string> Coupons);
