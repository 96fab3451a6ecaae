using System.Text.Json;

namespace Storebridge.Sandbox.Seed.Tests;

public class SandboxCatalogTests
{
    private static readonly SandboxData Medium = SandboxCatalog.Generate(42, SandboxSize.Medium);

    private static string Json(SandboxData data) => JsonSerializer.Serialize(data);

    [Fact]
    public void Same_seed_gives_identical_data()
    {
        var again = SandboxCatalog.Generate(42, SandboxSize.Medium);

        Assert.Equal(Json(Medium), Json(again));
    }

    [Fact]
    public void Different_seeds_give_different_catalogs()
    {
        var other = SandboxCatalog.Generate(43, SandboxSize.Medium);

        Assert.NotEqual(Json(Medium), Json(other));
        Assert.NotEqual(Medium.Stock.Select(s => s.OnHand), other.Stock.Select(s => s.OnHand));
    }

    [Fact]
    public void Seed_42_small_is_pinned()
    {
        // Golden values: the generator is ours (not System.Random), so these hold on every machine and runtime.
        // If they move, every test and demo script that names a seed-42 SKU or customer moves with them.
        var small = SandboxCatalog.Generate(42, SandboxSize.Small);

        Assert.Equal(127, small.Sellables.Count());
        Assert.Equal("TSH-1001", small.Items[0].Sku);
        Assert.Equal("TSH-1001-XS-BLK", small.Items[0].Variants[0].Sku);
        Assert.Equal(26.99m, small.FindPrice("TSH-1001-XS-BLK", SandboxCatalog.PriceLists.Retail)!.Rate);
        Assert.Equal(92327.36m, small.Customers[0].OutstandingAmount);
        Assert.Equal(100000m, small.Customers[0].CreditLimit);
    }

    [Theory]
    [InlineData(SandboxSize.Small, 30, 12)]
    [InlineData(SandboxSize.Medium, 300, 80)]
    public void Size_sets_the_number_of_products_and_customers(SandboxSize size, int products, int customers)
    {
        var data = SandboxCatalog.Generate(7, size);

        Assert.Equal(products, data.Items.Count);
        Assert.Equal(customers, data.Customers.Count);
    }

    [Fact]
    public void Medium_catalog_has_hundreds_of_items_with_size_and_colour_variants()
    {
        var sellables = Medium.Sellables.ToList();

        Assert.InRange(sellables.Count, 500, 3000);
        Assert.Contains(Medium.Items, i => i.Attributes.SequenceEqual(["Size", "Colour"]));
        Assert.Contains(Medium.Items, i => !i.HasVariants);
        Assert.All(Medium.Items.Where(i => i.HasVariants), item => Assert.All(item.Variants, v =>
        {
            Assert.StartsWith(item.Sku + "-", v.Sku, StringComparison.Ordinal);
            Assert.Equal(item.Attributes, v.Attributes.Select(a => a.Key));
        }));
    }

    [Fact]
    public void Skus_and_customer_emails_are_unique()
    {
        var skus = Medium.Items.Select(i => i.Sku).Concat(Medium.Items.SelectMany(i => i.Variants).Select(v => v.Sku)).ToList();

        Assert.Equal(skus.Count, skus.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(Medium.Customers.Count, Medium.Customers.Select(c => c.Email).Distinct().Count());
        Assert.Equal(Medium.Customers.Count, Medium.Customers.Select(c => c.Id).Distinct().Count());
    }

    [Fact]
    public void References_point_at_things_that_exist()
    {
        var groups = Medium.ItemGroups.Select(g => g.Name).ToHashSet();
        var taxClasses = Medium.TaxClasses.Select(t => t.Code).ToHashSet();
        var priceLists = Medium.PriceLists.ToDictionary(p => p.Name);
        var warehouses = Medium.Warehouses.Select(w => w.Id).ToHashSet();
        var skus = Medium.Sellables.Select(s => s.Sku).ToHashSet();
        var customers = Medium.Customers.ToDictionary(c => c.Id);
        var attributeValues = Medium.Attributes.SelectMany(a => a.Values.Select(v => (a.Name, v.Value))).ToHashSet();

        Assert.All(Medium.ItemGroups, g => Assert.True(g.Parent is null || groups.Contains(g.Parent)));
        Assert.All(Medium.Items, i =>
        {
            Assert.Contains(i.ItemGroup, groups);
            Assert.Contains(i.TaxClass, taxClasses);
            Assert.Contains(i.StockUom, Medium.Uoms);
        });
        Assert.All(Medium.Items.SelectMany(i => i.Variants).SelectMany(v => v.Attributes), a => Assert.Contains((a.Key, a.Value), attributeValues));
        Assert.All(Medium.TaxRates, r => Assert.Contains(r.TaxClass, taxClasses));
        Assert.All(Medium.Stock, s =>
        {
            Assert.Contains(s.Sku, skus);
            Assert.Contains(s.WarehouseId, warehouses);
        });
        Assert.All(Medium.Prices, p =>
        {
            Assert.Contains(p.Sku, skus);
            Assert.Equal(priceLists[p.PriceList].Currency, p.Currency);
            Assert.True(p.CustomerId is null || customers[p.CustomerId].Kind == SeedCustomerKind.Business);
        });
        Assert.All(Medium.Customers, c => Assert.Equal(priceLists[c.PriceList].Currency, c.Currency));
    }

    [Fact]
    public void Every_sellable_sku_has_stock_in_every_warehouse_and_a_price_in_every_list()
    {
        var stock = Medium.Stock.Select(s => (s.Sku, s.WarehouseId)).ToHashSet();
        var prices = Medium.Prices.Where(p => p.CustomerId is null).Select(p => (p.Sku, p.PriceList)).ToHashSet();

        foreach (var sellable in Medium.Sellables)
        {
            Assert.All(Medium.Warehouses, w => Assert.Contains((sellable.Sku, w.Id), stock));
            Assert.All(Medium.PriceLists, l => Assert.Contains((sellable.Sku, l.Name), prices));
        }

        Assert.Contains(Medium.Stock, s => s.OnHand == 0);
        Assert.Contains(Medium.Stock, s => s.OnHand > 50);
    }

    [Fact]
    public void Warehouses_span_regions_and_price_lists_span_currencies()
    {
        Assert.Equal(3, Medium.Warehouses.Select(w => w.Region).Distinct().Count());
        Assert.Equal(["EUR", "USD"], Medium.PriceLists.Select(p => p.Currency).Distinct().Order());
        Assert.Contains(Medium.PriceLists, p => p.Kind == SeedPriceListKind.Wholesale);
    }

    [Fact]
    public void Wholesale_is_cheaper_than_retail_and_customer_prices_beat_the_list()
    {
        foreach (var sellable in Medium.Sellables.Take(200))
        {
            var retail = Medium.FindPrice(sellable.Sku, SandboxCatalog.PriceLists.Retail)!;
            var wholesale = Medium.FindPrice(sellable.Sku, SandboxCatalog.PriceLists.Wholesale)!;
            Assert.True(wholesale.Rate < retail.Rate, $"{sellable.Sku}: {wholesale.Rate} >= {retail.Rate}");
        }

        var special = Medium.Prices.Where(p => p.CustomerId is not null).ToList();
        Assert.NotEmpty(special);
        Assert.All(special, p => Assert.True(p.Rate < Medium.FindPrice(p.Sku, p.PriceList)!.Rate));
        Assert.All(special, p => Assert.Same(p, Medium.FindPrice(p.Sku, p.PriceList, p.CustomerId)));
    }

    [Fact]
    public void Businesses_have_credit_limits_and_some_are_nearly_exhausted()
    {
        var businesses = Medium.Customers.Where(c => c.Kind == SeedCustomerKind.Business).ToList();
        var consumers = Medium.Customers.Where(c => c.Kind == SeedCustomerKind.Consumer).ToList();

        Assert.All(businesses, b =>
        {
            Assert.NotNull(b.CreditLimit);
            Assert.InRange(b.OutstandingAmount, 0m, b.CreditLimit!.Value);
            Assert.NotEmpty(b.TaxId);
        });
        Assert.Contains(businesses, b => b.AvailableCredit < b.CreditLimit * 0.1m);
        Assert.Contains(businesses, b => b.AvailableCredit > b.CreditLimit * 0.5m);
        Assert.Contains(businesses, b => b.Currency == "EUR");
        Assert.All(consumers, c =>
        {
            Assert.Null(c.CreditLimit);
            Assert.Equal(0m, c.OutstandingAmount);
        });
    }

    [Fact]
    public void Tax_rates_cover_classes_and_jurisdictions()
    {
        Assert.Contains(Medium.TaxRates, r => r.Country == "US" && r.State == "CA" && r.RatePercent == 7.25m);
        Assert.Contains(Medium.TaxRates, r => r.TaxClass == SandboxCatalog.TaxClasses.Reduced);
        Assert.Contains(Medium.Items, i => i.TaxClass == SandboxCatalog.TaxClasses.Reduced);
        Assert.Equal(Medium.TaxRates.Count, Medium.TaxRates.Select(r => r.Id).Distinct().Count());
    }

    [Fact]
    public void Unknown_size_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SandboxCatalog.Generate(1, (SandboxSize)99));
    }
}
