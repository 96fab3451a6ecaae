namespace Storebridge.Sandbox.Seed;

/// <summary>
/// Generates the sandbox's starting data: catalog, stock, prices, customers and taxes. Pure and deterministic:
/// the same seed and size always give equal data, so the store simulator, the ERP simulator and the tests
/// that run against them agree on every SKU, price and customer without sharing state.
/// </summary>
public static class SandboxCatalog
{
    /// <summary>The instant every seeded document is dated.</summary>
    public static readonly DateTimeOffset AsOf = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The selling company: US-based, USD books, one warehouse in the EU.</summary>
    public static readonly SeedCompany Company = new("Storebridge Demo Inc.", "SBD", "USD", "US");

    /// <summary>Price list names, as the ERP and the store both call them.</summary>
    public static class PriceLists
    {
        /// <summary>Consumer prices in USD.</summary>
        public const string Retail = "Standard Selling";

        /// <summary>Business prices in USD.</summary>
        public const string Wholesale = "Wholesale";

        /// <summary>Consumer prices in EUR.</summary>
        public const string RetailEur = "Standard Selling EUR";

        /// <summary>Business prices in EUR.</summary>
        public const string WholesaleEur = "Wholesale EUR";
    }

    /// <summary>Tax class codes.</summary>
    public static class TaxClasses
    {
        /// <summary>The standard rate.</summary>
        public const string Standard = "standard";

        /// <summary>The reduced rate (food).</summary>
        public const string Reduced = "reduced-rate";

        /// <summary>Zero-rated goods (books).</summary>
        public const string Zero = "zero-rate";
    }

    /// <summary>Generates the data for a seed.</summary>
    /// <param name="seed">Any integer; equal seeds give equal data.</param>
    /// <param name="size">How much data to make.</param>
    public static SandboxData Generate(int seed, SandboxSize size = SandboxSize.Medium)
    {
        var (products, businesses, consumers) = size switch
        {
            SandboxSize.Small => (30, 4, 8),
            SandboxSize.Medium => (300, 20, 60),
            SandboxSize.Large => (2000, 100, 300),
            _ => throw new ArgumentOutOfRangeException(nameof(size), size, "Unknown sandbox size."),
        };

        var items = GenerateItems(new SeedRandom(seed, "items"), products);
        var sellables = items
            .SelectMany(i => i.HasVariants ? i.Variants.Select(v => (v.Sku, Item: i, Variant: (SeedVariant?)v)) : [(i.Sku, Item: i, Variant: null)])
            .ToList();
        var stock = GenerateStock(new SeedRandom(seed, "stock"), sellables.Select(s => s.Sku).ToList());
        var customers = GenerateCustomers(new SeedRandom(seed, "customers"), businesses, consumers);
        var prices = GeneratePrices(new SeedRandom(seed, "prices"), sellables, customers);

        return new SandboxData(
            seed,
            size,
            Company,
            AsOf,
            ["Nos", "Pair", "Box", "Kg", "Set"],
            [
                new(TaxClasses.Standard, "Standard"),
                new(TaxClasses.Reduced, "Reduced rate"),
                new(TaxClasses.Zero, "Zero rate"),
            ],
            TaxRates,
            ItemGroups,
            Attributes,
            items,
            Warehouses,
            stock,
            [
                new(PriceLists.Retail, "USD", SeedPriceListKind.Retail),
                new(PriceLists.Wholesale, "USD", SeedPriceListKind.Wholesale),
                new(PriceLists.RetailEur, "EUR", SeedPriceListKind.Retail),
                new(PriceLists.WholesaleEur, "EUR", SeedPriceListKind.Wholesale),
            ],
            prices,
            customers);
    }

    private static readonly SeedWarehouse[] Warehouses =
    [
        new("Newark DC - SBD", "us-east", "Newark", "US"),
        new("Reno DC - SBD", "us-west", "Reno", "US"),
        new("Rotterdam DC - SBD", "eu", "Rotterdam", "NL"),
    ];

    private static readonly SeedTaxRate[] TaxRates =
    [
        new(1, TaxClasses.Standard, "US", "CA", "CA State Tax", 7.25m, 1, false, false),
        new(2, TaxClasses.Standard, "US", "NY", "NY State Tax", 4.00m, 1, false, true),
        new(3, TaxClasses.Standard, "US", "TX", "TX State Tax", 6.25m, 1, false, true),
        new(4, TaxClasses.Standard, "US", "WA", "WA State Tax", 6.50m, 1, false, true),
        new(5, TaxClasses.Standard, "US", "IL", "IL State Tax", 6.25m, 1, false, false),
        new(6, TaxClasses.Standard, "US", "MA", "MA State Tax", 6.25m, 1, false, false),
        new(7, TaxClasses.Standard, "NL", "", "BTW 21%", 21.00m, 1, false, true),
        new(8, TaxClasses.Standard, "DE", "", "MwSt 19%", 19.00m, 1, false, true),
        new(9, TaxClasses.Reduced, "US", "IL", "IL Food Tax", 1.00m, 1, false, false),
        new(10, TaxClasses.Reduced, "NL", "", "BTW 9%", 9.00m, 1, false, true),
        new(11, TaxClasses.Reduced, "DE", "", "MwSt 7%", 7.00m, 1, false, true),
        new(12, TaxClasses.Zero, "NL", "", "BTW 0%", 0.00m, 1, false, false),
        new(13, TaxClasses.Zero, "DE", "", "MwSt 0%", 0.00m, 1, false, false),
    ];

    private static readonly SeedAttribute Size = new("Size", [new("XS", "XS"), new("S", "S"), new("M", "M"), new("L", "L"), new("XL", "XL"), new("XXL", "XXL")]);

    private static readonly SeedAttribute ShoeSize = new("Shoe Size", [.. Enumerable.Range(38, 9).Select(s => new SeedAttributeValue($"EU {s}", s.ToString(System.Globalization.CultureInfo.InvariantCulture)))]);

    private static readonly SeedAttribute Colour = new("Colour",
    [
        new("Black", "BLK"), new("White", "WHT"), new("Navy", "NVY"), new("Grey", "GRY"),
        new("Red", "RED"), new("Forest Green", "GRN"), new("Sand", "SND"),
    ]);

    private static readonly SeedAttribute PackWeight = new("Pack Weight", [new("250 g", "250G"), new("500 g", "500G"), new("1 kg", "1KG")]);

    private static readonly SeedAttribute[] Attributes = [Size, ShoeSize, Colour, PackWeight];

    private enum VariantScheme
    {
        None,
        SizeColour,
        ShoeSizeColour,
        Colour,
        PackWeight,
    }

    /// <summary>What a leaf group's products look like.</summary>
    private sealed record GroupProfile(
        string Group,
        string Parent,
        string Prefix,
        string[] Nouns,
        string[] Adjectives,
        string Uom,
        string TaxClass,
        decimal MinPrice,
        decimal MaxPrice,
        decimal WeightKg,
        VariantScheme Scheme,
        double VariantShare);

    private static readonly GroupProfile[] Profiles =
    [
        new("T-Shirts", "Apparel", "TSH", ["T-Shirt", "Crew Tee", "V-Neck Tee", "Long Sleeve Tee"], ["Classic", "Organic", "Heavyweight", "Slim", "Vintage"], "Nos", TaxClasses.Standard, 12, 40, 0.2m, VariantScheme.SizeColour, 0.8),
        new("Hoodies", "Apparel", "HOD", ["Hoodie", "Zip Hoodie", "Sweatshirt"], ["Fleece", "Brushed", "Recycled", "Oversized"], "Nos", TaxClasses.Standard, 35, 90, 0.6m, VariantScheme.SizeColour, 0.8),
        new("Jackets", "Apparel", "JKT", ["Rain Jacket", "Parka", "Softshell Jacket", "Gilet"], ["Alpine", "Urban", "Packable", "Insulated"], "Nos", TaxClasses.Standard, 60, 240, 1.0m, VariantScheme.SizeColour, 0.7),
        new("Socks", "Apparel", "SCK", ["Socks", "Hiking Socks", "Trainer Socks"], ["Merino", "Cotton", "Bamboo"], "Pair", TaxClasses.Standard, 6, 22, 0.1m, VariantScheme.Colour, 0.4),
        new("Sneakers", "Footwear", "SNK", ["Sneaker", "Runner", "Court Shoe"], ["Lightweight", "Retro", "Trail", "Canvas"], "Pair", TaxClasses.Standard, 45, 160, 0.9m, VariantScheme.ShoeSizeColour, 0.8),
        new("Boots", "Footwear", "BOT", ["Chelsea Boot", "Hiking Boot", "Work Boot"], ["Leather", "Waterproof", "Suede"], "Pair", TaxClasses.Standard, 80, 260, 1.4m, VariantScheme.ShoeSizeColour, 0.7),
        new("Mugs", "Home & Kitchen", "MUG", ["Mug", "Travel Mug", "Espresso Cup"], ["Stoneware", "Enamel", "Insulated", "Speckled"], "Nos", TaxClasses.Standard, 8, 30, 0.4m, VariantScheme.Colour, 0.5),
        new("Cookware", "Home & Kitchen", "CKW", ["Skillet", "Saucepan", "Dutch Oven", "Knife Set"], ["Cast Iron", "Stainless", "Non-Stick", "Carbon Steel"], "Nos", TaxClasses.Standard, 25, 220, 2.5m, VariantScheme.None, 0),
        new("Textiles", "Home & Kitchen", "TXT", ["Tea Towel Set", "Apron", "Throw Blanket", "Cushion Cover"], ["Linen", "Waffle", "Woven", "Chunky"], "Set", TaxClasses.Standard, 12, 85, 0.5m, VariantScheme.Colour, 0.5),
        new("Cables", "Electronics", "CBL", ["USB-C Cable", "HDMI Cable", "Lightning Cable", "Ethernet Cable"], ["Braided", "Flat", "Right-Angle", "Armoured"], "Nos", TaxClasses.Standard, 7, 35, 0.1m, VariantScheme.None, 0),
        new("Chargers", "Electronics", "CHG", ["Wall Charger", "Power Bank", "Wireless Pad", "Car Charger"], ["65W", "Compact", "Dual-Port", "Fast"], "Nos", TaxClasses.Standard, 15, 90, 0.3m, VariantScheme.None, 0),
        new("Audio", "Electronics", "AUD", ["Earbuds", "Headphones", "Speaker"], ["Wireless", "Noise-Cancelling", "Studio", "Rugged"], "Nos", TaxClasses.Standard, 25, 350, 0.4m, VariantScheme.Colour, 0.3),
        new("Notebooks", "Office", "NTB", ["Notebook", "Planner", "Sketchbook"], ["Dotted", "Ruled", "Hardcover", "Pocket"], "Nos", TaxClasses.Standard, 5, 28, 0.3m, VariantScheme.Colour, 0.3),
        new("Pens", "Office", "PEN", ["Pen Set", "Fountain Pen", "Gel Pens", "Markers"], ["Fine", "Refillable", "Archival", "Brush"], "Box", TaxClasses.Standard, 4, 60, 0.1m, VariantScheme.None, 0),
        new("Coffee", "Food & Drink", "COF", ["Coffee Beans", "Ground Coffee", "Espresso Blend"], ["Single-Origin", "Dark Roast", "Decaf", "House"], "Kg", TaxClasses.Reduced, 9, 45, 0.5m, VariantScheme.PackWeight, 0.7),
        new("Tea", "Food & Drink", "TEA", ["Loose Leaf Tea", "Tea Bags", "Matcha"], ["Green", "Earl Grey", "Rooibos", "Chai"], "Box", TaxClasses.Reduced, 5, 30, 0.2m, VariantScheme.PackWeight, 0.4),
        new("Snacks", "Food & Drink", "SNA", ["Granola", "Trail Mix", "Chocolate Bar", "Protein Bar Box"], ["Salted", "Dark", "Honey", "Nutty"], "Box", TaxClasses.Reduced, 3, 25, 0.3m, VariantScheme.None, 0),
        new("Books", "Media", "BOK", ["Cookbook", "Field Guide", "Travel Guide", "Novel"], ["Illustrated", "Pocket", "Collector's", "Paperback"], "Nos", TaxClasses.Zero, 9, 55, 0.6m, VariantScheme.None, 0),
    ];

    private static readonly SeedItemGroup[] ItemGroups =
    [
        new("All Item Groups", null, "all"),
        .. Profiles.Select(p => p.Parent).Distinct().Select(p => new SeedItemGroup(p, "All Item Groups", Slug(p))),
        .. Profiles.Select(p => new SeedItemGroup(p.Group, p.Parent, Slug(p.Group))),
    ];

    private static string Slug(string name) =>
        string.Join('-', name.ToLowerInvariant().Split([' ', '&', '\''], StringSplitOptions.RemoveEmptyEntries));

    private static List<SeedItem> GenerateItems(SeedRandom random, int count)
    {
        var items = new List<SeedItem>(count);
        for (var i = 0; i < count; i++)
        {
            // Round-robin over the groups first so that even the small catalog covers every group and scheme.
            var profile = i < Profiles.Length ? Profiles[i] : random.Pick(Profiles);
            var sku = $"{profile.Prefix}-{1001 + i}";
            var adjective = random.Pick(profile.Adjectives);
            var noun = random.Pick(profile.Nouns);
            var name = $"{adjective} {noun}";
            var description = $"{name} from our {profile.Group.ToLowerInvariant()} range.";
            var weight = Math.Round(profile.WeightKg * (decimal)(0.7 + (random.NextDouble() * 0.6)), 2);
            var disabled = random.Chance(0.02);

            var scheme = profile.Scheme != VariantScheme.None && (i < Profiles.Length || random.Chance(profile.VariantShare))
                ? profile.Scheme
                : VariantScheme.None;
            var axes = VariantAxes(random, scheme);
            var variants = new List<SeedVariant>();
            foreach (var combination in Combinations(axes))
            {
                var variantSku = sku + string.Concat(combination.Select(c => "-" + c.Value.Abbreviation));
                var variantName = $"{name} ({string.Join(", ", combination.Select(c => c.Value.Value))})";
                variants.Add(new SeedVariant(
                    variantSku,
                    variantName,
                    [.. combination.Select(c => KeyValuePair.Create(c.Attribute, c.Value.Value))],
                    random.Chance(0.02)));
            }

            items.Add(new SeedItem(sku, name, description, profile.Group, profile.Uom, profile.TaxClass, weight, disabled,
                [.. axes.Select(a => a.Attribute)], variants));
        }

        return items;
    }

    private static List<(string Attribute, List<SeedAttributeValue> Values)> VariantAxes(SeedRandom random, VariantScheme scheme)
    {
        List<SeedAttributeValue> Run(SeedAttribute attribute, int min, int max)
        {
            var length = random.Next(min, max + 1);
            var start = random.Next(0, attribute.Values.Count - length + 1);
            return [.. attribute.Values.Skip(start).Take(length)];
        }

        return scheme switch
        {
            VariantScheme.SizeColour => [(Size.Name, Run(Size, 3, 5)), (Colour.Name, random.PickDistinct(Colour.Values, random.Next(2, 5)))],
            VariantScheme.ShoeSizeColour => [(ShoeSize.Name, Run(ShoeSize, 4, 7)), (Colour.Name, random.PickDistinct(Colour.Values, random.Next(1, 3)))],
            VariantScheme.Colour => [(Colour.Name, random.PickDistinct(Colour.Values, random.Next(2, 5)))],
            VariantScheme.PackWeight => [(PackWeight.Name, Run(PackWeight, 2, 3))],
            _ => [],
        };
    }

    private static IEnumerable<List<(string Attribute, SeedAttributeValue Value)>> Combinations(List<(string Attribute, List<SeedAttributeValue> Values)> axes)
    {
        if (axes.Count == 0)
        {
            yield break;
        }

        IEnumerable<List<(string Attribute, SeedAttributeValue Value)>> result = [[]];
        foreach (var axis in axes)
        {
            result = result.SelectMany(prefix => axis.Values.Select(v => new List<(string, SeedAttributeValue)>(prefix) { (axis.Attribute, v) }));
        }

        foreach (var combination in result)
        {
            yield return combination;
        }
    }

    private static List<SeedStock> GenerateStock(SeedRandom random, List<string> skus)
    {
        var stock = new List<SeedStock>(skus.Count * Warehouses.Length);
        foreach (var sku in skus)
        {
            // Popularity per SKU, then per warehouse: some SKUs are out everywhere, many are low somewhere.
            var popularity = random.NextDouble();
            foreach (var warehouse in Warehouses)
            {
                var roll = random.NextDouble();
                var onHand = roll switch
                {
                    < 0.12 => 0,
                    < 0.25 => random.Next(1, 6),
                    _ => (int)(random.Next(5, 60) * (0.5 + (popularity * 3))),
                };

                // The EU warehouse carries a smaller range.
                if (warehouse.Region == "eu" && popularity < 0.3)
                {
                    onHand = 0;
                }

                stock.Add(new SeedStock(sku, warehouse.Id, onHand));
            }
        }

        return stock;
    }

    private static List<SeedPrice> GeneratePrices(SeedRandom random, List<(string Sku, SeedItem Item, SeedVariant? Variant)> sellables, List<SeedCustomer> customers)
    {
        var prices = new List<SeedPrice>(sellables.Count * 4);
        var retailBySku = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var baseByItem = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var (sku, item, variant) in sellables)
        {
            var profile = Profiles.First(p => p.Group == item.ItemGroup);
            if (!baseByItem.TryGetValue(item.Sku, out var basePrice))
            {
                var raw = profile.MinPrice + ((profile.MaxPrice - profile.MinPrice) * (decimal)random.NextDouble());
                basePrice = Math.Floor(raw) + 0.99m;
                baseByItem[item.Sku] = basePrice;
            }

            // Bigger sizes and packs cost more, as they do in real catalogs.
            var surcharge = variant?.Attributes.Sum(a => a.Value switch
            {
                "XXL" => 3m,
                "500 g" => basePrice * 0.8m,
                "1 kg" => basePrice * 1.5m,
                _ => 0m,
            }) ?? 0m;
            var retail = Math.Floor(basePrice + surcharge) + 0.99m;
            retailBySku[sku] = retail;

            var wholesale = Math.Round(retail * 0.62m, 2, MidpointRounding.AwayFromZero);
            var retailEur = Math.Max(0.99m, Math.Floor(retail * 0.93m) + 0.95m);
            var wholesaleEur = Math.Round(wholesale * 0.93m, 2, MidpointRounding.AwayFromZero);
            prices.Add(new SeedPrice(sku, PriceLists.Retail, "USD", retail, null, null, null));
            prices.Add(new SeedPrice(sku, PriceLists.Wholesale, "USD", wholesale, null, null, null));
            prices.Add(new SeedPrice(sku, PriceLists.RetailEur, "EUR", retailEur, null, null, null));
            prices.Add(new SeedPrice(sku, PriceLists.WholesaleEur, "EUR", wholesaleEur, null, null, null));
        }

        // Negotiated prices: about half the businesses have a handful, some only for a contract period.
        var skus = sellables.Select(s => s.Sku).ToList();
        foreach (var customer in customers.Where(c => c.Kind == SeedCustomerKind.Business))
        {
            if (!random.Chance(0.5))
            {
                continue;
            }

            var eur = customer.Currency == "EUR";
            foreach (var sku in random.PickDistinct(skus, random.Next(3, 9)))
            {
                var listRate = prices.First(p => p.Sku == sku && p.PriceList == customer.PriceList && p.CustomerId is null).Rate;
                var discount = 0.80m + (random.Next(0, 13) / 100m);
                var rate = Math.Round(listRate * discount, 2, MidpointRounding.AwayFromZero);
                var contract = random.Chance(0.3);
                prices.Add(new SeedPrice(sku, customer.PriceList, eur ? "EUR" : "USD", rate, customer.Id,
                    contract ? DateOnly.FromDateTime(AsOf.UtcDateTime) : null,
                    contract ? DateOnly.FromDateTime(AsOf.UtcDateTime).AddDays(365) : null));
            }
        }

        return prices;
    }

    private static readonly string[] FirstNames =
    [
        "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "Lucas", "Mia", "Mateo", "Amara", "Hiroshi",
        "Priya", "Diego", "Fatima", "Jonas", "Ines", "Sven", "Chloe", "Kwame", "Lena", "Ravi", "Zoe", "Tomasz",
    ];

    private static readonly string[] LastNames =
    [
        "Smith", "Johnson", "Garcia", "Nguyen", "Patel", "Kim", "Müller", "de Vries", "Rossi", "Okafor", "Cohen",
        "Larsen", "Silva", "Brown", "Novak", "Jansen", "Schmidt", "Tanaka", "Walker", "O'Brien",
    ];

    private static readonly string[] CompanyStems =
    [
        "Northwind", "Bluebird", "Summit", "Harbor", "Cedar", "Ironwood", "Lakeside", "Meridian", "Pinecrest",
        "Redstone", "Silverline", "Tidewater", "Granite", "Oakridge", "Brightway", "Keystone",
    ];

    private static readonly string[] CompanyKinds = ["Outfitters", "Supply Co.", "Trading", "Retail Group", "Goods", "Hospitality", "Stores", "Provisions"];

    private static readonly (string City, string State, string Postal, string Country)[] Places =
    [
        ("Los Angeles", "CA", "90012", "US"), ("San Francisco", "CA", "94103", "US"), ("New York", "NY", "10001", "US"),
        ("Buffalo", "NY", "14202", "US"), ("Austin", "TX", "78701", "US"), ("Houston", "TX", "77002", "US"),
        ("Seattle", "WA", "98101", "US"), ("Chicago", "IL", "60601", "US"), ("Boston", "MA", "02108", "US"),
        ("Denver", "CO", "80202", "US"), ("Portland", "OR", "97204", "US"), ("Miami", "FL", "33131", "US"),
        ("Amsterdam", "", "1012 AB", "NL"), ("Utrecht", "", "3511 LN", "NL"), ("Berlin", "", "10115", "DE"), ("Hamburg", "", "20095", "DE"),
    ];

    private static readonly string[] UsStreets = ["Main St", "Oak Ave", "Market St", "Harbor Rd", "Elm St", "Station Rd"];

    private static readonly string[] NlStreets = ["Keizersgracht", "Stationsplein", "Damrak", "Oudegracht"];

    private static readonly string[] DeStreets = ["Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerstraße"];

    private static List<SeedCustomer> GenerateCustomers(SeedRandom random, int businesses, int consumers)
    {
        var customers = new List<SeedCustomer>(businesses + consumers);
        var number = 0;

        for (var i = 0; i < businesses; i++)
        {
            var id = $"CUST-{++number:D5}";
            var place = random.Pick(Places);
            var eu = place.Country != "US";
            var first = random.Pick(FirstNames);
            var last = random.Pick(LastNames);
            var company = $"{CompanyStems[i % CompanyStems.Length]} {random.Pick(CompanyKinds)}" + (i >= CompanyStems.Length ? $" {(i / CompanyStems.Length) + 1}" : "");
            var group = random.Pick(["Commercial", "Commercial", "Wholesale", "Government"]);
            var limit = random.Pick([5_000m, 10_000m, 25_000m, 50_000m, 100_000m]);

            // Every fourth business is close to its limit, so credit checks have something to refuse.
            var used = i % 4 == 0 ? 0.92 + (random.NextDouble() * 0.07) : random.NextDouble() * 0.5;
            var outstanding = Math.Round(limit * (decimal)used, 2, MidpointRounding.AwayFromZero);
            var taxId = eu ? $"{place.Country}{random.Next(100_000_000, 999_999_999)}{(place.Country == "NL" ? "B01" : "")}" : $"{random.Next(10, 99)}-{random.Next(1_000_000, 9_999_999)}";
            var domain = string.Concat(company.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit)) + (eu ? "." + place.Country.ToLowerInvariant() : ".com");

            customers.Add(new SeedCustomer(
                id,
                SeedCustomerKind.Business,
                company,
                first,
                last,
                $"purchasing@{domain}",
                Phone(random, place.Country),
                company,
                group,
                taxId,
                TaxExempt: group == "Wholesale" || (group == "Government" && !eu),
                eu ? PriceLists.WholesaleEur : PriceLists.Wholesale,
                eu ? "EUR" : "USD",
                limit,
                outstanding,
                random.Pick([14, 30, 30, 45, 60]),
                Address(random, place)));
        }

        for (var i = 0; i < consumers; i++)
        {
            var id = $"CUST-{++number:D5}";
            var place = random.Chance(0.8) ? random.Pick(Places.Where(p => p.Country == "US").ToList()) : random.Pick(Places.Where(p => p.Country != "US").ToList());
            var eu = place.Country != "US";
            var first = random.Pick(FirstNames);
            var last = random.Pick(LastNames);
            var local = string.Concat($"{first}.{last}".ToLowerInvariant().Where(c => char.IsAsciiLetterOrDigit(c) || c == '.'));

            customers.Add(new SeedCustomer(
                id,
                SeedCustomerKind.Consumer,
                $"{first} {last}",
                first,
                last,
                $"{local}.{number}@example.com",
                Phone(random, place.Country),
                "",
                "Individual",
                "",
                TaxExempt: false,
                eu ? PriceLists.RetailEur : PriceLists.Retail,
                eu ? "EUR" : "USD",
                CreditLimit: null,
                OutstandingAmount: 0m,
                PaymentTermsDays: 0,
                Address(random, place)));
        }

        return customers;
    }

    private static SeedAddress Address(SeedRandom random, (string City, string State, string Postal, string Country) place) =>
        place.Country switch
        {
            "NL" => new($"{random.Pick(NlStreets)} {random.Next(1, 300)}", place.City, place.State, place.Postal, place.Country),
            "DE" => new($"{random.Pick(DeStreets)} {random.Next(1, 120)}", place.City, place.State, place.Postal, place.Country),
            _ => new($"{random.Next(1, 999)} {random.Pick(UsStreets)}", place.City, place.State, place.Postal, place.Country),
        };

    private static string Phone(SeedRandom random, string country) => country switch
    {
        "NL" => $"+31 20 {random.Next(100, 999)} {random.Next(1000, 9999)}",
        "DE" => $"+49 30 {random.Next(1000, 9999)} {random.Next(100, 999)}",
        _ => $"+1 {random.Next(200, 989)}-555-{random.Next(1000, 9999):D4}",
    };
}
