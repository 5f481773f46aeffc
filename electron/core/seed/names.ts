/**
 * Name pools for seeded patients, from the communities a clinic in Europe commonly serves, in
 * their own spelling: diacritics (Müller, Łukasz, Nguyễn, Şahin, Adébáyọ̀), other scripts
 * (Cyrillic, Greek, Han, Arabic) and their Latin forms, Russian patronymics, Polish and Russian
 * feminine surnames, Spanish double surnames. These are common names, not real patients.
 *
 * Notation, to keep the lists readable: `native/latin` gives a name in its own script and in Latin
 * letters (the latin part also makes email addresses); `masculine|feminine` gives gendered forms.
 */
export interface Culture {
  id: string;
  /**
   * Where home-country phone numbers and identity documents come from; null when the community's
   * documents are mostly issued where the clinic is.
   */
  homeCountry: string | null;
  /** Preferred language (BCP 47). */
  language: string;
  /** Chance that a patient's name is recorded in the native script rather than in Latin letters. */
  nativeScript: number;
  female: readonly string[];
  male: readonly string[];
  family: readonly string[];
  /** Russian: patronymic forms by father's name (masculine|feminine). */
  patronymics?: Readonly<Record<string, string>>;
  /** Chance of a second given name (or compound name) for this community. */
  secondGiven: number;
  /** Spanish-speaking: two surnames. */
  doubleFamily?: boolean;
  /** Latin given name to a common short form used as the preferred name. */
  nicknames?: Readonly<Record<string, string>>;
  /** Vietnamese: the middle name is part of the given names and is drawn from its own list. */
  middle?: { female: readonly string[]; male: readonly string[] };
}

// Split on ASCII white space only: a no-break space joins the parts of one name (Ó Briain).
const words = (s: string): string[] => s.trim().split(/[ \t\r\n]+/);

export const CULTURES: readonly Culture[] = [
  {
    id: 'british',
    homeCountry: null,
    language: 'en',
    nativeScript: 0,
    female: words(`Olivia Amelia Isla Ava Emily Sophie Grace Mia Poppy Ella Charlotte Jessica Lily
      Evie Chloe Ruby Sophia Daisy Alice Florence Elizabeth Margaret Susan Patricia Katherine
      Rebecca Jennifer Sarah Helen Joanne Claire Rachel Hannah Eleanor Imogen Harriet Zoë Chloë`),
    male: words(`Oliver George Harry Jack Jacob Noah Charlie Thomas Oscar William James Henry
      Alfie Leo Joshua Freddie Archie Ethan Isaac Alexander Robert David Richard Michael Paul
      Mark Stephen Andrew Christopher Daniel Matthew Edward Callum Rhys Owen Gareth Dafydd`),
    family: words(`Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts
      Robinson Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel
      Jackson Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison
      Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell
      Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan
      Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb
      Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes
      Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey
      Fairbairn-Smyth`),
    secondGiven: 0.2,
    nicknames: {
      William: 'Bill',
      Robert: 'Rob',
      Elizabeth: 'Liz',
      Katherine: 'Kate',
      Margaret: 'Maggie',
      Thomas: 'Tom',
      James: 'Jim',
      Alexander: 'Alex',
      Rebecca: 'Becky',
      Jennifer: 'Jen',
      Edward: 'Ted',
      Christopher: 'Chris',
    },
  },
  {
    id: 'irish',
    homeCountry: 'IE',
    language: 'en-IE',
    nativeScript: 0,
    female: words(`Aoife Siobhán Niamh Saoirse Caoimhe Róisín Clodagh Orla Sinéad Gráinne Éabha
      Ciara Máire Bríd Áine Deirdre`),
    male: words(`Seán Ciarán Pádraig Oisín Cian Darragh Eoin Tadhg Conor Cathal Diarmuid Fionn
      Colm Ruairí Donnchadh Éamon`),
    family: words(`Murphy Kelly O'Sullivan Walsh O'Brien Byrne Ryan O'Connor O'Neill O'Reilly
      Doyle McCarthy Gallagher Doherty Kennedy Lynch Murray Quinn Moore McLoughlin Ó\u00a0Briain
      Mac\u00a0Giolla Ní\u00a0Mhaoláin`),
    secondGiven: 0.1,
  },
  {
    id: 'german',
    homeCountry: 'DE',
    language: 'de',
    nativeScript: 0,
    female: words(`Anna Lena Sophie Marie Hannah Lea Johanna Käthe Ursula Gisela Monika Brigitte
      Sabine Jutta Anke Dörte Hildegard Birgit Franziska Greta Jördis Anna-Lena Marie-Luise`),
    male: words(`Jürgen Jörg Björn Günther Uwe Klaus Dieter Horst Lukas Maximilian Felix Jonas
      Leon Paul Matthias Tobias Stefan Thorsten Joachim Jörn Hans-Peter Karl-Heinz Lütfi Ömer`),
    family: words(`Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann
      Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger
      Hofmann Hartmann Lange Schmitt Werner Krause Meier Lehmann Köhler Weiß Groß Böhm Jäger
      Fuß Gößmann Schütz von\u00a0Bülow`),
    secondGiven: 0.15,
  },
  {
    id: 'french',
    homeCountry: 'FR',
    language: 'fr',
    nativeScript: 0,
    female: words(`Hélène Élodie Chloé Anaïs Zoé Léa Camille Manon Inès Océane Clémence Maëlle
      Noémie Célia Amélie Bérénice Françoise Geneviève Marie-Claire Anne-Sophie`),
    male: words(`François Jérôme Noël Théo Hugo Louis Gabriel Raphaël Mathéo Clément Benoît
      Stéphane Frédéric Aurélien Gaël Loïc Jean-Pierre Jean-Luc Pierre-Yves Hervé`),
    family: words(`Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon
      Laurent Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André
      Mercier Dupré Lemaître Bérenger Géraud Faure Rousseau Blanc Guérin Boyer Chevalier
      François Legrand Gauthier Perrin Rémy Lefèbvre Ménard`),
    secondGiven: 0.1,
  },
  {
    id: 'spanish',
    homeCountry: 'ES',
    language: 'es',
    nativeScript: 0,
    female: words(`María Lucía Sofía Martina Paula Valentina Inés Begoña Ainhoa Nuria Pilar
      Carmen Rocío Montserrat Mercedes Ángela Mónica Verónica Raquel Itziar María\u00a0José`),
    male: words(`José Jesús Íñigo Raúl Álvaro Adrián Hugo Martín Pablo Sergio Javier Andrés
      Ramón Joaquín Óscar Rubén Víctor Iñaki Tomás Juan\u00a0Carlos`),
    family: words(`García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Martín
      Jiménez Ruiz Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres
      Domínguez Vázquez Ramos Gil Ramírez Serrano Blanco Molina Morales Suárez Ortega Delgado
      Castro Ortiz Rubio Marín Sanz Núñez Iglesias Medina Garrido Cortés Castillo Santos Lozano
      Guerrero Cano Prieto Méndez Cruz Calvo Gallego Vidal León Márquez Herrera Peña Flores
      Cabrera Campos Vega Fuentes Carrasco Diez Caballero Reyes Nieto Aguilar Pascual Santana
      Herrero Montero Lorenzo Hidalgo Giménez Ibáñez Ferrer Durán Santiago Benítez Mora Vicente
      Vargas Arias Carmona Crespo Román Pastor Soto Sáez Velasco Moya Soler Parra Esteban
      Bravo Gallardo Rojas`),
    secondGiven: 0.05,
    doubleFamily: true,
  },
  {
    id: 'polish',
    homeCountry: 'PL',
    language: 'pl',
    nativeScript: 0,
    female: words(`Małgorzata Agnieszka Zofia Anna Katarzyna Joanna Magdalena Ewa Barbara
      Dorota Łucja Jadwiga Bożena Grażyna Krystyna Żaneta Urszula Wiktoria Zuzanna Alicja`),
    male: words(`Łukasz Wojciech Grzegorz Bartłomiej Paweł Józef Piotr Krzysztof Tomasz Michał
      Marcin Jakub Mateusz Kacper Stanisław Zbigniew Przemysław Mieczysław Jarosław Szymon`),
    family: words(`Nowak Kowalski|Kowalska Wiśniewski|Wiśniewska Wójcik Kowalczyk
      Kamiński|Kamińska Lewandowski|Lewandowska Zieliński|Zielińska Szymański|Szymańska Woźniak
      Dąbrowski|Dąbrowska Kozłowski|Kozłowska Jankowski|Jankowska Mazur Wojciechowski|Wojciechowska
      Kwiatkowski|Kwiatkowska Krawczyk Kaczmarek Piotrowski|Piotrowska Grabowski|Grabowska
      Zając Pawłowski|Pawłowska Michalski|Michalska Król Wieczorek Jabłoński|Jabłońska Wróbel
      Nowakowski|Nowakowska Majewski|Majewska Olszewski|Olszewska Stępień Jaworski|Jaworska
      Malinowski|Malinowska Górski|Górska Sikora Ostrowski|Ostrowska Baran Duda Szewczyk
      Tomaszewski|Tomaszewska Pietrzak Marciniak Wróblewski|Wróblewska Zalewski|Zalewska
      Jakubowski|Jakubowska Jasiński|Jasińska Zawadzki|Zawadzka Sadowski|Sadowska Bąk
      Chmielewski|Chmielewska Włodarczyk Borkowski|Borkowska Czarnecki|Czarnecka Sawicki|Sawicka
      Sokołowski|Sokołowska Urbański|Urbańska Kubiak Maciejewski|Maciejewska Szczepański|Szczepańska
      Kucharski|Kucharska Wilk Kalinowski|Kalinowska Lis Mazurek Wysocki|Wysocka Adamski|Adamska
      Kaźmierczak Wasilewski|Wasilewska Sobczak Czerwiński|Czerwińska Andrzejewski|Andrzejewska
      Cieślak Głowacki|Głowacka Zakrzewski|Zakrzewska Kołodziej Sikorski|Sikorska Krajewski|Krajewska
      Gajewski|Gajewska Szymczak Szulc Baranowski|Baranowska Laskowski|Laskowska Brzeziński|Brzezińska`),
    secondGiven: 0.05,
  },
  {
    id: 'russian',
    homeCountry: 'RU',
    language: 'ru',
    nativeScript: 0.5,
    female: words(`Ольга/Olga Наталья/Natalya Екатерина/Yekaterina Анна/Anna Татьяна/Tatyana
      Юлия/Yuliya Мария/Mariya Елена/Yelena Ирина/Irina Светлана/Svetlana Анастасия/Anastasiya
      Дарья/Darya Ксения/Kseniya Алёна/Alyona Людмила/Lyudmila Фёкла/Fyokla`),
    male: words(`Иван/Ivan Алексей/Aleksey Дмитрий/Dmitry Сергей/Sergey Андрей/Andrey
      Михаил/Mikhail Пётр/Pyotr Николай/Nikolay Александр/Aleksandr Владимир/Vladimir
      Юрий/Yuri Фёдор/Fyodor Артём/Artyom Григорий/Grigory`),
    family: words(`Иванов/Ivanov|Иванова/Ivanova Смирнов/Smirnov|Смирнова/Smirnova
      Кузнецов/Kuznetsov|Кузнецова/Kuznetsova Попов/Popov|Попова/Popova
      Соколов/Sokolov|Соколова/Sokolova Лебедев/Lebedev|Лебедева/Lebedeva
      Козлов/Kozlov|Козлова/Kozlova Новиков/Novikov|Новикова/Novikova
      Морозов/Morozov|Морозова/Morozova Волков/Volkov|Волкова/Volkova
      Соловьёв/Solovyov|Соловьёва/Solovyova Васильев/Vasilyev|Васильева/Vasilyeva
      Зайцев/Zaytsev|Зайцева/Zaytseva Павлов/Pavlov|Павлова/Pavlova
      Семёнов/Semyonov|Семёнова/Semyonova Голубев/Golubev|Голубева/Golubeva
      Виноградов/Vinogradov|Виноградова/Vinogradova Богданов/Bogdanov|Богданова/Bogdanova
      Воробьёв/Vorobyov|Воробьёва/Vorobyova Фёдоров/Fyodorov|Фёдорова/Fyodorova
      Михайлов/Mikhaylov|Михайлова/Mikhaylova Беляев/Belyaev|Беляева/Belyaeva
      Тарасов/Tarasov|Тарасова/Tarasova Белов/Belov|Белова/Belova
      Комаров/Komarov|Комарова/Komarova Орлов/Orlov|Орлова/Orlova
      Киселёв/Kiselyov|Киселёва/Kiselyova Макаров/Makarov|Макарова/Makarova
      Андреев/Andreyev|Андреева/Andreyeva Ковалёв/Kovalyov|Ковалёва/Kovalyova
      Ильин/Ilyin|Ильина/Ilyina Гусев/Gusev|Гусева/Guseva Титов/Titov|Титова/Titova
      Кузьмин/Kuzmin|Кузьмина/Kuzmina Кудрявцев/Kudryavtsev|Кудрявцева/Kudryavtseva
      Баранов/Baranov|Баранова/Baranova Куликов/Kulikov|Куликова/Kulikova
      Алексеев/Alekseyev|Алексеева/Alekseyeva Степанов/Stepanov|Степанова/Stepanova
      Яковлев/Yakovlev|Яковлева/Yakovleva Сорокин/Sorokin|Сорокина/Sorokina
      Сергеев/Sergeyev|Сергеева/Sergeyeva Романов/Romanov|Романова/Romanova
      Захаров/Zakharov|Захарова/Zakharova Борисов/Borisov|Борисова/Borisova
      Королёв/Korolyov|Королёва/Korolyova Герасимов/Gerasimov|Герасимова/Gerasimova
      Пономарёв/Ponomaryov|Пономарёва/Ponomaryova Григорьев/Grigoryev|Григорьева/Grigoryeva
      Лазарев/Lazarev|Лазарева/Lazareva Медведев/Medvedev|Медведева/Medvedeva
      Ершов/Yershov|Ершова/Yershova Никитин/Nikitin|Никитина/Nikitina
      Соболев/Sobolev|Соболева/Soboleva Рябов/Ryabov|Рябова/Ryabova
      Поляков/Polyakov|Полякова/Polyakova Цветков/Tsvetkov|Цветкова/Tsvetkova
      Данилов/Danilov|Данилова/Danilova Жуков/Zhukov|Жукова/Zhukova
      Фролов/Frolov|Фролова/Frolova Журавлёв/Zhuravlyov|Журавлёва/Zhuravlyova`),
    patronymics: {
      'Иван/Ivan': 'Иванович/Ivanovich|Ивановна/Ivanovna',
      'Алексей/Aleksey': 'Алексеевич/Alekseyevich|Алексеевна/Alekseyevna',
      'Дмитрий/Dmitry': 'Дмитриевич/Dmitriyevich|Дмитриевна/Dmitriyevna',
      'Сергей/Sergey': 'Сергеевич/Sergeyevich|Сергеевна/Sergeyevna',
      'Андрей/Andrey': 'Андреевич/Andreyevich|Андреевна/Andreyevna',
      'Михаил/Mikhail': 'Михайлович/Mikhaylovich|Михайловна/Mikhaylovna',
      'Пётр/Pyotr': 'Петрович/Petrovich|Петровна/Petrovna',
      'Николай/Nikolay': 'Николаевич/Nikolayevich|Николаевна/Nikolayevna',
      'Александр/Aleksandr': 'Александрович/Aleksandrovich|Александровна/Aleksandrovna',
      'Владимир/Vladimir': 'Владимирович/Vladimirovich|Владимировна/Vladimirovna',
      'Юрий/Yuri': 'Юрьевич/Yuryevich|Юрьевна/Yuryevna',
      'Фёдор/Fyodor': 'Фёдорович/Fyodorovich|Фёдоровна/Fyodorovna',
      'Артём/Artyom': 'Артёмович/Artyomovich|Артёмовна/Artyomovna',
      'Григорий/Grigory': 'Григорьевич/Grigoryevich|Григорьевна/Grigoryevna',
    },
    secondGiven: 0,
    nicknames: {
      Aleksandr: 'Sasha',
      Dmitry: 'Dima',
      Yekaterina: 'Katya',
      Mikhail: 'Misha',
      Natalya: 'Natasha',
      Александр: 'Саша',
      Дмитрий: 'Дима',
      Екатерина: 'Катя',
    },
  },
  {
    id: 'turkish',
    homeCountry: 'TR',
    language: 'tr',
    nativeScript: 0,
    female: words(`Ayşe Fatma Emine Hatice Zeynep Elif Özlem Çağla Gülşen Şükran Büşra Derya
      Sevgi Yasemin Gökçe İrem Nazlı Dilek Ebru Şebnem`),
    male: words(`Mehmet Mustafa Ahmet Ali Hüseyin Hasan İbrahim İsmail Ömer Yusuf Murat Gökhan
      Şükrü Çağlar Oğuz Barış Emre Burak Serkan Tolga`),
    family: words(`Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir Arslan
      Doğan Kılıç Aslan Çetin Kara Koç Kurt Özkan Şimşek Polat Korkmaz Özgür Güneş Aktaş Erdoğan
      Çakır Bulut Keskin Ünal`),
    secondGiven: 0.1,
  },
  {
    id: 'vietnamese',
    homeCountry: 'VN',
    language: 'vi',
    nativeScript: 0,
    female: words(`Hương Lan Trang Thảo Anh Hà Linh Ngọc Mai Hạnh Phương Yến Nhung Hằng Thủy
      Vy`),
    male: words(`Minh Tuấn Hùng Dũng Long Bảo Nam Quang Thắng Hải Phúc Khoa Trung Đức Việt
      Sơn`),
    middle: {
      female: words('Thị Thị Thị Ngọc Thu Thanh Phương Bích Kim Minh'),
      male: words('Văn Văn Văn Đức Quốc Minh Hoàng Thanh Hữu Công'),
    },
    family: words(`Nguyễn Nguyễn Nguyễn Trần Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ
      Hồ Ngô Dương Lý Đinh Trương Lâm`),
    secondGiven: 0,
  },
  {
    id: 'nigerian',
    homeCountry: 'NG',
    language: 'en-NG',
    nativeScript: 0,
    female: words(`Ngozi Chiamaka Adaeze Ifeoma Chinonso Folasade Fọláṣadé Titilayo Títílayọ̀
      Olúwaseun Aisha Zainab Hauwa Amina Funmilayo Yetunde Nkechi Obiageli Abimbọ́la Ẹniọlá`),
    male: words(`Chukwuemeka Obinna Chinedu Emeka Adebayo Adébáyọ̀ Oluwaseun Oláwálé Babatunde
      Olumide Ikechukwu Nnamdi Abubakar Musa Ibrahim Usman Tunde Kelechi Ọláolúwa Ayọ̀dèjì`),
    family: words(`Okafor Adeyemi Okonkwo Balogun Eze Nwosu Adebayo Ogunleye Abubakar Bello
      Okoro Olaniyan Ọlápàdé Ògúnlànà Adéwálé Nwachukwu Obi Chukwu Ibekwe Oyelaran Danjuma
      Ogunbanjo Akande Ọlátúnjí Okeke`),
    secondGiven: 0.3,
  },
  {
    id: 'indian',
    homeCountry: 'IN',
    language: 'en-IN',
    nativeScript: 0,
    female: words(`Priya Ananya Lakshmi Deepika Kavya Harpreet Gurpreet Sunita Anjali Pooja
      Neha Divya Meera Shreya Aarti Nisha Simran Rani`),
    male: words(`Aarav Vikram Rohan Sanjay Arjun Rahul Amit Raj Suresh Harjit Gurdeep Vivek
      Karthik Aditya Pranav Manish Ravi Sandeep`),
    family: words(`Sharma Patel Singh Kaur Gupta Reddy Iyer Nair Mehta Shah Desai Khan Chopra
      Banerjee Mukherjee Joshi Rao Pillai Agarwal Verma Chatterjee Bhatt Kapoor Malhotra Sandhu
      Gill Dhillon Menon`),
    secondGiven: 0.05,
  },
  {
    id: 'greek',
    homeCountry: 'GR',
    language: 'el',
    nativeScript: 0.6,
    female: words(`Μαρία/Maria Ελένη/Eleni Αικατερίνη/Aikaterini Σοφία/Sofia Βασιλική/Vasiliki
      Γεωργία/Georgia Δήμητρα/Dimitra Χριστίνα/Christina Αναστασία/Anastasia Ευαγγελία/Evangelia`),
    male: words(`Γιώργος/Giorgos Νίκος/Nikos Δημήτρης/Dimitris Κωνσταντίνος/Konstantinos
      Γιάννης/Giannis Χρήστος/Christos Παναγιώτης/Panagiotis Βασίλης/Vasilis Αθανάσιος/Athanasios
      Μιχάλης/Michalis`),
    family: words(`Παπαδόπουλος/Papadopoulos|Παπαδοπούλου/Papadopoulou
      Νικολάου/Nikolaou Γεωργίου/Georgiou Οικονόμου/Oikonomou Παπαδάκης/Papadakis|Παπαδάκη/Papadaki
      Βασιλείου/Vasileiou Ιωάννου/Ioannou Παπαγεωργίου/Papageorgiou
      Αλεξίου/Alexiou Κωνσταντίνου/Konstantinou Μακρής/Makris|Μακρή/Makri`),
    secondGiven: 0,
  },
  {
    id: 'chinese',
    homeCountry: null,
    language: 'zh',
    nativeScript: 0.25,
    female: words(`芳/Fang 娜/Na 静/Jing 丽/Li 敏/Min 秀英/Xiuying 婷/Ting 雪/Xue 慧/Hui 玲/Ling`),
    male: words(`伟/Wei 强/Qiang 磊/Lei 军/Jun 洋/Yang 杰/Jie 勇/Yong 涛/Tao 明/Ming 浩/Hao`),
    family: words(`王/Wang 李/Li 张/Zhang 刘/Liu 陈/Chen 杨/Yang 黄/Huang 赵/Zhao 吴/Wu 周/Zhou
      徐/Xu 孙/Sun 马/Ma 朱/Zhu 胡/Hu 郭/Guo 何/He 林/Lin`),
    secondGiven: 0,
  },
  {
    id: 'arabic',
    homeCountry: null,
    language: 'ar',
    nativeScript: 0.2,
    female: words(`فاطمة/Fatima ليلى/Layla مريم/Mariam نور/Nour عائشة/Aisha سارة/Sara
      هدى/Huda رنا/Rana ياسمين/Yasmin زينب/Zainab`),
    male: words(`محمد/Mohammed أحمد/Ahmed عمر/Omar يوسف/Yusuf خالد/Khalid علي/Ali
      حسن/Hassan إبراهيم/Ibrahim كريم/Karim سامي/Sami`),
    family: words(`السيد/Al-Sayed حداد/Haddad خليل/Khalil منصور/Mansour ناصر/Nasser
      حمدان/Hamdan الأمين/El-Amin عباس/Abbas سليمان/Suleiman الخطيب/Al-Khatib`),
    secondGiven: 0,
  },
];

/** How often each community appears, for a clinic in the UK; the clinic's own country leads. */
const BASE_WEIGHTS: Readonly<Record<string, number>> = {
  british: 44,
  irish: 4,
  german: 3,
  french: 3,
  spanish: 3,
  polish: 7,
  russian: 4,
  turkish: 4,
  vietnamese: 3,
  nigerian: 6,
  indian: 9,
  greek: 2,
  chinese: 4,
  arabic: 4,
};

export function cultureWeights(clinicCountry: string): Array<readonly [Culture, number]> {
  const local = CULTURES.find((c) => c.homeCountry === clinicCountry);
  return CULTURES.map((c) => {
    let weight = BASE_WEIGHTS[c.id] ?? 1;
    if (local) {
      if (c === local) weight = 44;
      else if (c.id === 'british') weight = 4;
    }
    return [c, weight] as const;
  });
}

export interface NameForm {
  native: string;
  latin: string;
}

const forms = new Map<string, NameForm>();

/** Splits `native/latin` (the latin part defaults to the name itself). */
export function nameForm(entry: string): NameForm {
  let form = forms.get(entry);
  if (!form) {
    const slash = entry.indexOf('/');
    const native = (slash < 0 ? entry : entry.slice(0, slash)).replace(/\u00a0/g, ' ');
    const latin = slash < 0 ? native : entry.slice(slash + 1).replace(/\u00a0/g, ' ');
    form = { native, latin };
    forms.set(entry, form);
  }
  return form;
}

/** Picks the masculine or feminine form of `masculine|feminine`. */
export function gendered(entry: string, feminine: boolean): string {
  const bar = entry.indexOf('|');
  if (bar < 0) return entry;
  return feminine ? entry.slice(bar + 1) : entry.slice(0, bar);
}

export const GUARDIAN_RELATIONSHIPS = {
  female: ['Mother', 'Mother', 'Mother', 'Grandmother', 'Aunt', 'Foster parent', 'Legal guardian'],
  male: ['Father', 'Father', 'Father', 'Grandfather', 'Uncle', 'Foster parent', 'Legal guardian'],
} as const;

export const EMERGENCY_RELATIONSHIPS = [
  'Spouse',
  'Partner',
  'Husband',
  'Wife',
  'Son',
  'Daughter',
  'Sister',
  'Brother',
  'Parent',
  'Friend',
  'Neighbour',
] as const;
