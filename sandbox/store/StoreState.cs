using System.Globalization;
using System.Text.Json;
using Storebridge.Sandbox.Seed;
using Storebridge.WooCommerce;
using Storebridge.WooCommerce.Models;

namespace Storebridge.Sandbox.Store;

/// <summary>Everything the store holds, behind one lock. Every public method returns copies, so callers never
/// see (or race with) the live objects. Changes raise webhook events after the lock is released.</summary>
internal sealed partial class StoreState
{
    private readonly Lock _gate = new();
    private readonly StoreSimulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly SandboxData _catalog;
    private readonly Dictionary<long, WooProduct> _products = [];
    private readonly Dictionary<long, WooVariation> _variations = [];
    private readonly Dictionary<string, (long ProductId, long? VariationId)> _skus = new(StringComparer.Ordinal);
    private readonly Dictionary<long, WooOrder> _orders = [];
    private readonly Dictionary<long, List<WooOrderNote>> _notes = [];
    private readonly Dictionary<long, List<WooRefund>> _refunds = [];
    private readonly Dictionary<long, HashSet<long>> _stockReduced = [];
    private readonly Dictionary<long, WooCustomer> _customers = [];
    private readonly Dictionary<long, SeedCustomer> _seedCustomers = [];
    private readonly Dictionary<long, WebhookRecord> _webhooks = [];
    private readonly Dictionary<string, long> _categoryIds = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Sku, string PriceList, string CustomerId), decimal> _prices;
    private long _nextPostId = 100;
    private long _nextCommentId = 1;
    private long _nextCustomerId = 2;
    private long _nextWebhookId = 1;
    private long _nextLineId = 1;

    public StoreState(StoreSimulatorOptions options, SandboxData catalog)
    {
        _options = options;
        _time = options.TimeProvider;
        _catalog = catalog;
        // SandboxData.FindPrice scans every price; the Large catalog has tens of thousands, so index them once.
        _prices = catalog.Prices
            .GroupBy(p => (p.Sku, p.PriceList, p.CustomerId ?? ""))
            .ToDictionary(g => g.Key, g => g.First().Rate);
        Seed();
    }

    /// <summary>Raised (outside the lock) for every change a webhook topic covers: resource, event, id.</summary>
    public event Action<string, string, long>? Changed;

    public SandboxData Catalog => _catalog;

    /// <summary>Set while a test holds checkouts between stock check and payment.</summary>
    public CheckoutHold? Hold { get; set; }

    public StoreSimulatorOptions Options => _options;

    // WooCommerce dates have whole seconds and no offset (the site runs in UTC).
    private DateTime Now
    {
        get
        {
            var utc = _time.GetUtcNow().UtcDateTime;
            return new DateTime(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Unspecified);
        }
    }

    internal static T Clone<T>(T value) => JsonSerializer.Deserialize<T>(JsonSerializer.SerializeToUtf8Bytes(value, WooJson.Options), WooJson.Options)!;

    private void Raise(params (string Resource, string Event, long Id)[] changes)
    {
        foreach (var (resource, evt, id) in changes)
        {
            Changed?.Invoke(resource, evt, id);
        }
    }

    // ---------------- seeding ----------------

    private void Seed()
    {
        var created = DateTime.SpecifyKind(_catalog.AsOf.UtcDateTime, DateTimeKind.Unspecified);
        foreach (var group in _catalog.ItemGroups)
        {
            _categoryIds[group.Name] = _categoryIds.Count + 15;
        }

        var stock = _catalog.Stock.GroupBy(s => s.Sku).ToDictionary(g => g.Key, g => g.Sum(s => s.OnHand), StringComparer.Ordinal);
        foreach (var item in _catalog.Items.Where(i => !i.Disabled))
        {
            var product = new WooProduct
            {
                Id = _nextPostId++,
                Name = item.Name,
                Slug = item.Sku.ToLowerInvariant(),
                Type = item.HasVariants ? "variable" : "simple",
                Status = "publish",
                Sku = item.Sku,
                TaxStatus = "taxable",
                TaxClass = WooTaxClass(item.TaxClass),
                Categories = _categoryIds.TryGetValue(item.ItemGroup, out var categoryId)
                    ? [new WooCategoryRef { Id = categoryId, Name = item.ItemGroup, Slug = item.ItemGroup.ToLowerInvariant().Replace(' ', '-') }]
                    : [],
                DateCreated = created,
                DateCreatedGmt = created,
                DateModified = created,
                DateModifiedGmt = created,
                MetaData = [],
            };
            if (item.HasVariants)
            {
                product.ManageStock = false;
                product.Variations = [];
                product.Attributes = [.. item.Attributes.Select((a, i) => new WooProductAttribute
                {
                    Id = i + 1,
                    Name = a,
                    Variation = true,
                    Options = [.. item.Variants.SelectMany(v => v.Attributes).Where(p => p.Key == a).Select(p => p.Value).Distinct()],
                })];
                foreach (var variant in item.Variants)
                {
                    var price = RetailPrice(variant.Sku);
                    var variation = new WooVariation
                    {
                        Id = _nextPostId++,
                        ParentId = product.Id,
                        Sku = variant.Sku,
                        Status = variant.Disabled ? "private" : "publish",
                        RegularPrice = price,
                        Price = price,
                        SalePrice = "",
                        TaxClass = product.TaxClass,
                        ManageStock = true,
                        StockQuantity = stock.GetValueOrDefault(variant.Sku),
                        Backorders = "no",
                        Attributes = [.. variant.Attributes.Select((a, i) => new WooVariationAttribute { Id = i + 1, Name = a.Key, Option = a.Value })],
                        DateModified = created,
                        DateModifiedGmt = created,
                        MetaData = [],
                    };
                    SetStockStatus(variation);
                    _variations[variation.Id!.Value] = variation;
                    _skus[variant.Sku] = (product.Id!.Value, variation.Id);
                    product.Variations.Add(variation.Id.Value);
                }

                product.Price = item.Variants.Select(v => decimal.Parse(RetailPrice(v.Sku), CultureInfo.InvariantCulture)).DefaultIfEmpty().Min().ToString("0.00", CultureInfo.InvariantCulture);
                product.StockStatus = "instock";
            }
            else
            {
                var price = RetailPrice(item.Sku);
                product.RegularPrice = price;
                product.Price = price;
                product.SalePrice = "";
                product.ManageStock = true;
                product.StockQuantity = stock.GetValueOrDefault(item.Sku);
                product.Backorders = "no";
                SetStockStatus(product);
            }

            _products[product.Id!.Value] = product;
            _skus[item.Sku] = (product.Id.Value, null);
        }

        foreach (var seed in _catalog.Customers)
        {
            var id = _nextCustomerId++;
            var address = new WooAddress
            {
                FirstName = seed.FirstName,
                LastName = seed.LastName,
                Company = seed.Company,
                Address1 = seed.Address.Line1,
                Address2 = "",
                City = seed.Address.City,
                State = seed.Address.State,
                Postcode = seed.Address.PostalCode,
                Country = seed.Address.Country,
                Email = seed.Email,
                Phone = seed.Phone,
            };
            var customer = new WooCustomer
            {
                Id = id,
                Email = seed.Email,
                FirstName = seed.FirstName,
                LastName = seed.LastName,
                Role = "customer",
                Username = seed.Email.Split('@')[0],
                Billing = address,
                Shipping = Clone(address),
                DateCreatedGmt = created,
                DateModifiedGmt = created,
                MetaData = string.IsNullOrEmpty(seed.TaxId) ? [] : [WooMetaData.Of("_billing_vat", seed.TaxId)],
            };
            customer.Shipping.Email = null;
            _customers[id] = customer;
            _seedCustomers[id] = seed;
        }
    }

    private string RetailPrice(string sku) =>
        (FindPrice(sku, SandboxCatalog.PriceLists.Retail, null) ?? 10m).ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>The customer's own price in a list, else the list price (same rule as <see cref="SandboxData.FindPrice"/>).</summary>
    private decimal? FindPrice(string sku, string priceList, string? customerId) =>
        customerId is not null && _prices.TryGetValue((sku, priceList, customerId), out var own) ? own
        : _prices.TryGetValue((sku, priceList, ""), out var list) ? list
        : null;

    private static string WooTaxClass(string seedClass) => seedClass == "standard" ? "" : seedClass;

    private static void SetStockStatus(WooProduct product)
    {
        if (product.ManageStock == true)
        {
            product.StockStatus = product.StockQuantity > 0 ? "instock" : product.Backorders is "yes" or "notify" ? "onbackorder" : "outofstock";
        }
    }

    private static void SetStockStatus(WooVariation variation)
    {
        if (variation.ManageStock == true)
        {
            variation.StockStatus = variation.StockQuantity > 0 ? "instock" : variation.Backorders is "yes" or "notify" ? "onbackorder" : "outofstock";
        }
    }

    // ---------------- products ----------------

    public List<WooProduct> Products(Func<WooProduct, bool> filter)
    {
        lock (_gate)
        {
            return [.. _products.Values.Where(filter).Select(Clone)];
        }
    }

    public WooProduct Product(long id)
    {
        lock (_gate)
        {
            return Clone(_products.GetValueOrDefault(id) ?? throw ApiException.NotFound("woocommerce_rest_product_invalid_id"));
        }
    }

    public WooProduct CreateProduct(WooProduct input)
    {
        WooProduct created;
        lock (_gate)
        {
            created = CreateProductLocked(input);
        }

        Raise(("product", "created", created.Id!.Value));
        return created;
    }

    private WooProduct CreateProductLocked(WooProduct input)
    {
        if (string.IsNullOrWhiteSpace(input.Name))
        {
            throw ApiException.BadRequest("woocommerce_rest_missing_name", "Missing parameter(s): name");
        }

        if (!string.IsNullOrEmpty(input.Sku) && _skus.ContainsKey(input.Sku))
        {
            throw ApiException.BadRequest("product_invalid_sku", "Invalid or duplicated SKU.");
        }

        var product = Clone(input);
        var now = Now;
        product.Id = _nextPostId++;
        product.Type ??= "simple";
        product.Status ??= "publish";
        product.Price = product.SalePrice is { Length: > 0 } sale ? sale : product.RegularPrice ?? "";
        product.Backorders ??= "no";
        product.ManageStock ??= false;
        product.StockStatus ??= "instock";
        product.DateCreated = product.DateCreatedGmt = product.DateModified = product.DateModifiedGmt = now;
        product.Variations ??= [];
        product.MetaData ??= [];
        SetStockStatus(product);
        _products[product.Id.Value] = product;
        if (!string.IsNullOrEmpty(product.Sku))
        {
            _skus[product.Sku] = (product.Id.Value, null);
        }

        return Clone(product);
    }

    public WooProduct UpdateProduct(long id, WooProduct patch)
    {
        WooProduct updated;
        lock (_gate)
        {
            updated = UpdateProductLocked(id, patch);
        }

        Raise(("product", "updated", id));
        return updated;
    }

    private WooProduct UpdateProductLocked(long id, WooProduct patch)
    {
        var product = _products.GetValueOrDefault(id) ?? throw ApiException.NotFound("woocommerce_rest_product_invalid_id");
        if (patch.Sku is { Length: > 0 } sku && sku != product.Sku)
        {
            if (_skus.ContainsKey(sku))
            {
                throw ApiException.BadRequest("product_invalid_sku", "Invalid or duplicated SKU.");
            }

            if (product.Sku is { Length: > 0 })
            {
                _skus.Remove(product.Sku);
            }

            _skus[sku] = (id, null);
            product.Sku = sku;
        }

        if (patch.StockQuantity < -1_000_000)
        {
            throw ApiException.BadRequest("rest_invalid_param", "Invalid parameter(s): stock_quantity");
        }

        product.Name = patch.Name ?? product.Name;
        product.Status = patch.Status ?? product.Status;
        product.RegularPrice = patch.RegularPrice ?? product.RegularPrice;
        product.SalePrice = patch.SalePrice ?? product.SalePrice;
        product.Price = product.SalePrice is { Length: > 0 } sale ? sale : product.RegularPrice;
        product.TaxClass = patch.TaxClass ?? product.TaxClass;
        product.ManageStock = patch.ManageStock ?? product.ManageStock;
        product.StockQuantity = patch.StockQuantity ?? product.StockQuantity;
        product.Backorders = patch.Backorders ?? product.Backorders;
        product.StockStatus = patch.StockStatus ?? product.StockStatus;
        product.MetaData = MergeMeta(product.MetaData, patch.MetaData);
        product.DateModified = product.DateModifiedGmt = Now;
        SetStockStatus(product);
        return Clone(product);
    }

    public WooBatchResponse BatchProducts(JsonElement body)
    {
        var changes = new List<(string, string, long)>();
        var response = new WooBatchResponse();
        lock (_gate)
        {
            foreach (var item in Items(body, "create"))
            {
                response.Create.Add(BatchItem(() =>
                {
                    var created = CreateProductLocked(item.Deserialize<WooProduct>(WooJson.Options)!);
                    changes.Add(("product", "created", created.Id!.Value));
                    return JsonSerializer.SerializeToElement(created, WooJson.Options);
                }, 0));
            }

            foreach (var item in Items(body, "update"))
            {
                var patch = item.Deserialize<WooProduct>(WooJson.Options)!;
                response.Update.Add(BatchItem(() =>
                {
                    var updated = UpdateProductLocked(patch.Id ?? 0, patch);
                    changes.Add(("product", "updated", updated.Id!.Value));
                    return JsonSerializer.SerializeToElement(updated, WooJson.Options);
                }, patch.Id ?? 0));
            }

            foreach (var item in Items(body, "delete"))
            {
                var id = item.TryGetInt64(out var parsed) ? parsed : 0;
                response.Delete.Add(BatchItem(() =>
                {
                    var product = _products.GetValueOrDefault(id) ?? throw ApiException.NotFound("woocommerce_rest_product_invalid_id");
                    _products.Remove(id);
                    if (product.Sku is { Length: > 0 })
                    {
                        _skus.Remove(product.Sku);
                    }

                    changes.Add(("product", "deleted", id));
                    return JsonSerializer.SerializeToElement(product, WooJson.Options);
                }, id));
            }
        }

        Raise([.. changes]);
        return response;
    }

    // ---------------- variations ----------------

    public List<WooVariation> Variations(long productId)
    {
        lock (_gate)
        {
            var product = _products.GetValueOrDefault(productId) ?? throw ApiException.NotFound("woocommerce_rest_product_invalid_id");
            return [.. (product.Variations ?? []).Where(_variations.ContainsKey).Select(v => Clone(_variations[v]))];
        }
    }

    public WooVariation Variation(long productId, long id)
    {
        lock (_gate)
        {
            return Clone(VariationLocked(productId, id));
        }
    }

    private WooVariation VariationLocked(long productId, long id) =>
        _variations.GetValueOrDefault(id) is { } v && v.ParentId == productId ? v : throw ApiException.NotFound("woocommerce_rest_product_variation_invalid_id");

    public WooVariation CreateVariation(long productId, WooVariation input)
    {
        WooVariation created;
        lock (_gate)
        {
            created = CreateVariationLocked(productId, input);
        }

        Raise(("product", "updated", productId));
        return created;
    }

    private WooVariation CreateVariationLocked(long productId, WooVariation input)
    {
        var product = _products.GetValueOrDefault(productId) ?? throw ApiException.NotFound("woocommerce_rest_product_invalid_id");
        if (!string.IsNullOrEmpty(input.Sku) && _skus.ContainsKey(input.Sku))
        {
            throw ApiException.BadRequest("product_invalid_sku", "Invalid or duplicated SKU.");
        }

        var variation = Clone(input);
        variation.Id = _nextPostId++;
        variation.ParentId = productId;
        variation.Status ??= "publish";
        variation.Price = variation.SalePrice is { Length: > 0 } sale ? sale : variation.RegularPrice ?? "";
        variation.Backorders ??= "no";
        variation.StockStatus ??= "instock";
        variation.DateModified = variation.DateModifiedGmt = Now;
        variation.MetaData ??= [];
        SetStockStatus(variation);
        _variations[variation.Id.Value] = variation;
        (product.Variations ??= []).Add(variation.Id.Value);
        if (!string.IsNullOrEmpty(variation.Sku))
        {
            _skus[variation.Sku] = (productId, variation.Id);
        }

        return Clone(variation);
    }

    public WooVariation UpdateVariation(long productId, long id, WooVariation patch)
    {
        WooVariation updated;
        lock (_gate)
        {
            updated = UpdateVariationLocked(productId, id, patch);
        }

        Raise(("product", "updated", productId));
        return updated;
    }

    private WooVariation UpdateVariationLocked(long productId, long id, WooVariation patch)
    {
        var variation = VariationLocked(productId, id);
        variation.RegularPrice = patch.RegularPrice ?? variation.RegularPrice;
        variation.SalePrice = patch.SalePrice ?? variation.SalePrice;
        variation.Price = variation.SalePrice is { Length: > 0 } sale ? sale : variation.RegularPrice;
        variation.Status = patch.Status ?? variation.Status;
        variation.ManageStock = patch.ManageStock ?? variation.ManageStock;
        variation.StockQuantity = patch.StockQuantity ?? variation.StockQuantity;
        variation.Backorders = patch.Backorders ?? variation.Backorders;
        variation.StockStatus = patch.StockStatus ?? variation.StockStatus;
        variation.MetaData = MergeMeta(variation.MetaData, patch.MetaData);
        variation.DateModified = variation.DateModifiedGmt = Now;
        SetStockStatus(variation);
        return Clone(variation);
    }

    public WooBatchResponse BatchVariations(long productId, JsonElement body)
    {
        var response = new WooBatchResponse();
        lock (_gate)
        {
            _ = _products.GetValueOrDefault(productId) ?? throw ApiException.NotFound("woocommerce_rest_product_invalid_id");
            foreach (var item in Items(body, "create"))
            {
                response.Create.Add(BatchItem(() => JsonSerializer.SerializeToElement(CreateVariationLocked(productId, item.Deserialize<WooVariation>(WooJson.Options)!), WooJson.Options), 0));
            }

            foreach (var item in Items(body, "update"))
            {
                var patch = item.Deserialize<WooVariation>(WooJson.Options)!;
                response.Update.Add(BatchItem(() => JsonSerializer.SerializeToElement(UpdateVariationLocked(productId, patch.Id ?? 0, patch), WooJson.Options), patch.Id ?? 0));
            }

            foreach (var item in Items(body, "delete"))
            {
                var id = item.TryGetInt64(out var parsed) ? parsed : 0;
                response.Delete.Add(BatchItem(() =>
                {
                    var variation = VariationLocked(productId, id);
                    _variations.Remove(id);
                    _products[productId].Variations?.Remove(id);
                    if (variation.Sku is { Length: > 0 })
                    {
                        _skus.Remove(variation.Sku);
                    }

                    return JsonSerializer.SerializeToElement(variation, WooJson.Options);
                }, id));
            }
        }

        Raise(("product", "updated", productId));
        return response;
    }

    /// <summary>Stock of a SKU for the admin endpoint.</summary>
    public StockView? Stock(string sku)
    {
        lock (_gate)
        {
            if (!_skus.TryGetValue(sku, out var at))
            {
                return null;
            }

            return at.VariationId is { } variationId
                ? new StockView(sku, at.ProductId, variationId, _variations[variationId].StockQuantity, _variations[variationId].StockStatus)
                : new StockView(sku, at.ProductId, null, _products[at.ProductId].StockQuantity, _products[at.ProductId].StockStatus);
        }
    }

    // ---------------- helpers ----------------

    internal static int BatchCount(JsonElement body) =>
        new[] { "create", "update", "delete" }.Sum(op => Items(body, op).Count());

    private static IEnumerable<JsonElement> Items(JsonElement body, string op) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(op, out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray()
            : [];

    private static JsonElement BatchItem(Func<JsonElement> action, long id)
    {
        try
        {
            return action();
        }
        catch (ApiException ex)
        {
            return JsonSerializer.SerializeToElement(new { id, error = ex.ToError() }, WooJson.Options);
        }
        catch (JsonException ex)
        {
            return JsonSerializer.SerializeToElement(new { id, error = new ApiException(400, "rest_invalid_json", ex.Message).ToError() }, WooJson.Options);
        }
    }

    private static List<WooMetaData>? MergeMeta(List<WooMetaData>? current, List<WooMetaData>? patch)
    {
        if (patch is null)
        {
            return current;
        }

        var merged = current ?? [];
        foreach (var entry in patch)
        {
            merged.RemoveAll(m => m.Key == entry.Key);
            merged.Add(new WooMetaData { Id = entry.Id ?? merged.Count + 1000, Key = entry.Key, Value = entry.Value.Clone() });
        }

        return merged;
    }
}

/// <summary>The body of a batch response.</summary>
internal sealed class WooBatchResponse
{
    public List<JsonElement> Create { get; } = [];

    public List<JsonElement> Update { get; } = [];

    public List<JsonElement> Delete { get; } = [];
}

/// <summary>Stock of one SKU.</summary>
/// <param name="Sku">SKU.</param>
/// <param name="ProductId">Product id.</param>
/// <param name="VariationId">Variation id or null.</param>
/// <param name="StockQuantity">Quantity (negative after overselling).</param>
/// <param name="StockStatus">Stock status.</param>
public sealed record StockView(string Sku, long ProductId, long? VariationId, int? StockQuantity, string? StockStatus);

/// <summary>Queries that filter and sort the live objects under the lock and copy only the page.</summary>
internal sealed partial class StoreState
{
    public (List<T> Items, int Total) Query<T>(Func<StoreState, IEnumerable<T>> source, Func<T, bool> filter, Func<IEnumerable<T>, IEnumerable<T>> sort, int skip, int take)
    {
        lock (_gate)
        {
            var all = sort(source(this).Where(filter)).ToList();
            return ([.. all.Skip(skip).Take(take).Select(Clone)], all.Count);
        }
    }

    internal IEnumerable<WooProduct> LiveProducts => _products.Values;

    internal IEnumerable<WooOrder> LiveOrders => _orders.Values;

    internal IEnumerable<WooCustomer> LiveCustomers => _customers.Values;

    internal IEnumerable<WooVariation> LiveVariations(long productId) =>
        _products.TryGetValue(productId, out var product)
            ? (product.Variations ?? []).Where(_variations.ContainsKey).Select(v => _variations[v])
            : throw ApiException.NotFound("woocommerce_rest_product_invalid_id");
}
